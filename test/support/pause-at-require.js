/**
 * Preloaded (node -r) by specs that signal the service at a chosen moment of its start-up. The first time
 * the module named by PAUSE_AT_REQUIRE is required, it writes "paused at <name>" to stderr and holds the
 * loading (synchronously, as a slow require would) until the file PAUSE_RELEASE_FILE exists, or a minute
 * has passed.
 */
const Module = require('node:module');
const { existsSync, writeSync } = require('node:fs');

const target = process.env.PAUSE_AT_REQUIRE;
const releaseFile = process.env.PAUSE_RELEASE_FILE;
const load = Module._load;
let paused = false;

Module._load = function pauseAtRequire(request, ...rest) {
  if (!paused && request === target) {
    paused = true;
    writeSync(2, `paused at ${request}\n`);
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 60_000;
    while (!existsSync(releaseFile) && Date.now() < deadline) Atomics.wait(cell, 0, 0, 10);
  }
  return load.call(this, request, ...rest);
};
