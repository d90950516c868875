import { QUERY_TIMEOUT_MESSAGE } from '../database/bounded-pg-client';

/**
 * Recognises "the database can't be reached right now" among the errors a query can end with, so that the
 * API answers 503 with Retry-After (try again later, nothing is wrong with the request) instead of a 500.
 * The errors come from three layers, and each layer names the same situation differently:
 * - node's socket: the server is down or unreachable (ECONNREFUSED, ECONNRESET, ETIMEDOUT…);
 * - pg and pg-pool: the connection closed under a query, no connection could be made in
 *   DATABASE_CONNECT_TIMEOUT_MS ("Connection terminated…", "timeout exceeded when trying to connect",
 *   "timeout expired"), a statement got no answer in DATABASE_QUERY_TIMEOUT_MS ("Query read timeout": a
 *   frozen or cut-off server, or one too slow to count as up), or its connection was closed for it
 *   ("Client was closed and is not queryable");
 * - PostgreSQL itself, by SQLSTATE: class 08 (connection exception), 57P01-57P03 (the server is shutting
 *   down, crashed, or still starting), 53300 (too many connections), 57014 (a statement timeout, e.g. one
 *   set in DATABASE_URL's options), and any FATAL error: FATAL ends the session, which is how a server
 *   refuses a connection (e.g. 55000 for a database that is not accepting connections).
 * TypeORM wraps the pg error (QueryFailedError.driverError) and node may wrap socket errors
 * (AggregateError.errors, cause): the whole chain is searched.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((e) => {
    const code = typeof e.code === 'string' ? e.code : '';
    return (
      SOCKET_ERRORS.has(code) ||
      SQLSTATES.has(code) ||
      CONNECTION_EXCEPTION.test(code) ||
      ENDS_SESSION.has(String(e.severity)) ||
      DRIVER_MESSAGES.some((pattern) => pattern.test(String(e.message ?? '')))
    );
  });
}

/**
 * Among those errors, the database not answering in time (a frozen, cut-off or swamped server), as opposed
 * to one that answered "no" at once: another statement now would most likely wait out its bound too.
 */
export function isDatabaseTimeout(error: unknown): boolean {
  return causes(error).some((e) => TIMEOUT_MESSAGES.some((pattern) => pattern.test(String(e.message ?? ''))));
}

/** How long a client should wait before trying again: about what a PostgreSQL restart or failover takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
// SQLSTATE class 08, connection_exception: 08000 to 08P01.
const CONNECTION_EXCEPTION = /^08[0-9A-Z]{3}$/;
const ENDS_SESSION = new Set(['FATAL', 'PANIC']);
// The database did not answer in time: no connection within DATABASE_CONNECT_TIMEOUT_MS (from pg-pool's
// queue, pg-pool's connect, pg's connect), or no answer to a statement within DATABASE_QUERY_TIMEOUT_MS.
const TIMEOUT_MESSAGES = [
  /timeout exceeded when trying to connect/,
  /^Connection terminated due to connection timeout$/,
  /^timeout expired$/,
  new RegExp(`^${QUERY_TIMEOUT_MESSAGE}$`),
];
const DRIVER_MESSAGES = [...TIMEOUT_MESSAGES, /^Connection terminated/, /is not queryable/];

interface ErrorLike {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function causes(error: unknown, depth = 0): ErrorLike[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const e = error as ErrorLike;
  const nested = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])];
  return [e, ...nested.flatMap((inner) => causes(inner, depth + 1))];
}
