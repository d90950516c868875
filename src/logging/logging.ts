import { type LoggerService, RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Params } from 'nestjs-pino';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import type { AppConfig, LogFormat } from '../config/app-config';
import type { SecretScrubber } from './secret-scrubber';
import { REDACTED, secrets } from './secret-scrubber';
import { formatLatest } from '../common/iso-time';

/** pino's isoTime, without a new string for each of the many lines of one millisecond. */
const pinoTime = formatLatest((time) => `,"time":"${new Date(time).toISOString()}"`);

/** Taken from the request when it is a sane id, else generated; sent back on every answer. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable ASCII without spaces, bounded: a caller's id can't break a log line or bloat every one of them. */
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Header and query parameter names that say their value is a credential. Their values are never logged, even a
 * key that is not configured: a wrong key is still somebody's secret (another service's, a typo of ours).
 */
const CREDENTIAL_NAME = /auth|cookie|token|secret|passw|credential|signature|session|apikey|(^|[-_.])key$|^sig$/i;
/** Named like a credential without being one: the client's id for a retry, worth seeing in the log. */
const NOT_CREDENTIALS = new Set(['idempotency-key', 'idempotency_key']);

/** Probes and scrapes come every few seconds; a line for each would drown the rest. */
const UNLOGGED_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

export function isUnloggedPath(url: string): boolean {
  return UNLOGGED_PATHS.test(url);
}

export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !NOT_CREDENTIALS.has(name.toLowerCase());
}

/** A parameter name as the server reads it: percent-decoded, "+" a space; a malformed one as it is. */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** The URL as sent, but for the values of credential-named query parameters. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      return equals !== -1 && isCredentialName(decodedName(param.slice(0, equals)))
        ? `${param.slice(0, equals + 1)}${REDACTED}`
        : param;
    });
  return `${url.slice(0, query + 1)}${params.join('&')}`;
}

const redactValues = <T>(fields: Record<string, T> | undefined) =>
  fields &&
  Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, isCredentialName(name) ? REDACTED : value]));

/** pino-http's request, without the values of credential-named headers and query parameters. */
export function redactRequest<
  T extends { url?: string; headers?: Record<string, unknown>; query?: Record<string, unknown> },
>(req: T): T {
  return {
    ...req,
    url: req.url && redactUrl(req.url),
    headers: redactValues(req.headers),
    query: redactValues(req.query),
  };
}

/** 503 is the expected answer while PostgreSQL is away: the database's own lines say why. */
export function requestLogLevel(statusCode: number, error?: Error): 'error' | 'warn' | 'info' {
  if (error || (statusCode >= 500 && statusCode !== 503)) return 'error';
  return statusCode >= 500 ? 'warn' : 'info';
}

export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && ACCEPTABLE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The process's one pino logger. stdout is written asynchronously (a buffer drained by the event loop), so a
 * burst of attempt lines costs the dispatcher no blocking writes; pino flushes the buffer synchronously when
 * the process exits, so the last lines before an exit are not lost. Every line, whatever field carries what,
 * is written without the configured secrets (`scrubber`), in either format: the pretty one is made from it.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'APP_ROLE' | 'LOG_LEVEL' | 'logFormat'>,
  destination: pino.DestinationStream = logDestination(config.logFormat),
  scrubber: SecretScrubber = secrets,
): pino.Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { pid: process.pid, hostname: hostname(), role: config.APP_ROLE },
      timestamp: () => pinoTime(Date.now()),
      hooks: { streamWrite: (line) => scrubber.scrub(line) },
    },
    destination,
  );
}

/** json: pino's lines as they are; pretty: each turned into one readable line (see prettyLine). */
export function logDestination(format: LogFormat): pino.DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false });
  if (format === 'json') return stdout;
  return {
    write: (line: string) => void stdout.write(prettyLine(JSON.parse(line) as Record<string, unknown>)),
    end: () => stdout.end(),
    once: (event: string, listener: () => void) => void stdout.once(event, listener),
  } as pino.DestinationStream;
}

/**
 * Writes out, in order, what the logger's stdout still holds, then resolves: for the last lines before
 * process.exit. pino's own flush on exit writes its buffer synchronously past a write still in flight,
 * which then lands after it (a stop's last line came out before the one logged just ahead of it), or
 * not at all.
 */
export function endLogs(logger: pino.Logger): Promise<void> {
  const stream = (logger as unknown as Record<symbol, Partial<Pick<NodeJS.WritableStream, 'end' | 'once'>>>)[
    pino.symbols.streamSym
  ];
  if (!stream?.end || !stream.once) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once!('close', () => resolve());
    stream.end!();
  });
}

/**
 * nestjs-pino's settings: pino-http logs one line per answered request (method, url and headers with the
 * credentials redacted, status, time; never a body) and binds the request id to every line logged while the
 * request is handled, whichever logger writes it. The emulator server runs it as Nest middleware; the API writes
 * the same line from fastify's hooks (logRequests), for less CPU per request.
 */
export function loggingParams(logger: pino.Logger): Params {
  return {
    // nestjs-pino's default, "{/*splat}", matches no request under @nestjs/platform-fastify 12.5 (no request
    // lines, no request ids); "{*splat}" matches every path.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      logger,
      // Fastify has given the request its id already (http-app.ts); this covers any other server.
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
        res.setHeader(REQUEST_ID_HEADER, id);
        return id;
      },
      // Lines logged during a request carry just its id; the request itself is on the one completion line.
      quietReqLogger: true,
      customLogLevel: (_req, res, error) => requestLogLevel(res.statusCode, error),
      // Middleware sees req.url with the path it was mounted on stripped; originalUrl is the request's.
      autoLogging: {
        ignore: (req) => isUnloggedPath((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
      },
      serializers: { req: redactRequest, res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
      // On a 5xx pino-http makes up an Error ("failed with status code 500") whose stack is its own; the real
      // error is logged, with its stack, by HttpErrorFilter on a line with the same reqId.
      customErrorObject: (_req, _res, _error, { err: _made, ...line }: Record<string, unknown>) => line,
    },
  };
}

/**
 * A Nest LoggerService over the root logger, usable before the app exists (the lines of start-up). nestjs-pino
 * keeps one pino-http instance per process, made by whoever comes first: `params` must be the app's own.
 */
export function nestLogger(logger: pino.Logger, params: Params = loggingParams(logger)): LoggerService {
  return new NestPinoLogger(new PinoLogger(params), params);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Said by the line's layout, or the same on every line of a process. */
const LAID_OUT = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'role',
  'context',
  'event',
  'msg',
  'req',
  'res',
  'responseTime',
  'err',
]);

/**
 * One log entry as one line for a terminal: `09:41:07.123 INFO  [DispatchService] delivery_attempt
 * messageId=… outcome=sent latencyMs=52`. A request's line reads `GET /messages/… 404 3ms`. Only an error's
 * stack takes more lines.
 */
export function prettyLine(entry: Record<string, unknown>): string {
  const parts = [
    typeof entry.time === 'string' ? entry.time.slice(11, 23) : String(entry.time ?? ''),
    (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5),
  ];
  if (entry.context !== undefined) parts.push(`[${String(entry.context)}]`);
  if (entry.event !== undefined) parts.push(String(entry.event));
  if (entry.msg !== undefined) parts.push(String(entry.msg));
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  if (req) parts.push(`${req.method} ${req.url}${res ? ` ${res.statusCode}` : ''}`);
  if (entry.responseTime !== undefined) parts.push(`${String(entry.responseTime)}ms`);
  for (const [key, value] of Object.entries(entry)) {
    if (!LAID_OUT.has(key) && value !== undefined)
      parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  const err = entry.err as { stack?: string; message?: string } | undefined;
  const stack = err ? `\n${err.stack ?? err.message}` : '';
  return `${parts.join(' ')}${stack}\n`;
}
