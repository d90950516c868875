/**
 * The entry point (`node dist/main.js`). Loading Nest and the service takes seconds, and a SIGTERM or SIGINT
 * in that time would end the process by the signal, exit code none. So the handlers come first, before
 * anything heavy is required; a signal caught while loading is handled once the loading is done (a
 * synchronous require holds it back), by the stop that start() hands over.
 */
export {};

let stop: (signal: NodeJS.Signals) => void = () => process.exit(0);
process.once('SIGTERM', (signal) => stop(signal));
process.once('SIGINT', (signal) => stop(signal));

// Required here, not imported: imports would be hoisted above the handlers.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { start } = require('./bootstrap') as typeof import('./bootstrap');
stop = start();
