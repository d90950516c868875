import type { ClientConfig } from 'pg';
import { Client } from 'pg';
import { preparedName } from './prepared-statements';

/** What pg's query_timeout fails a statement with. */
export const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

/** A connection's limits: how long to wait for a connection, and for each statement on it (0: no limit). */
export interface ConnectionBounds {
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
}

/**
 * pg's Client, whose connection is closed when a statement on it outlives query_timeout (connecting is
 * bounded by connectionTimeoutMillis), so that a frozen server (SIGSTOP, a partition: the connection stays
 * open and nothing answers) holds nothing forever. pg fails such a statement but leaves it running on the
 * connection: back in the pool, the connection would hold the next user's statements behind it (to time
 * out in turn while the server stays away, and for good after a failover), and if the statement was in a
 * transaction, whatever ran next would run inside that transaction once the server answered: a 202 for a
 * row never committed. A closed connection takes its transaction with it, and pg-pool drops a closed
 * client when it is handed back.
 */
export class BoundedPgClient extends Client {
  private discarded = false;

  // The signature of every overload of pg's query(): the arguments are passed on as they came.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads' union, passed through untouched
  override query(...args: any[]): any {
    // A registered statement given as text (TypeORM passes text and values) runs as its prepared statement.
    const name = preparedName(args[0]);
    if (name !== undefined && (args[1] === undefined || Array.isArray(args[1])))
      args.splice(0, 2, { name, text: args[0] as string, values: args[1] as unknown[] | undefined });
    const last = args.length - 1;
    const callback: unknown = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: Error | null | undefined, result: unknown) => {
        this.discardAfter(error);
        return (callback as (error: Error | null | undefined, result: unknown) => unknown)(error, result);
      };
      return Client.prototype.query.apply(this, args as Parameters<Client['query']>);
    }
    const result: unknown = Client.prototype.query.apply(this, args as Parameters<Client['query']>);
    if (!(result instanceof Promise)) return result;
    // Closed before the caller hears of the error: by the time it hands the connection back, the pool drops it.
    return result.catch((error: unknown) => {
      this.discardAfter(error);
      throw error;
    });
  }

  private discardAfter(error: unknown): void {
    if (this.discarded || !(error instanceof Error) || error.message !== QUERY_TIMEOUT_MESSAGE) return;
    this.discarded = true;
    // With a statement in flight, pg ends the connection by dropping the socket, at once.
    this.end().catch(() => undefined);
  }
}

/** pg Client (and pg-pool) options that bound every wait on the server: see BoundedPgClient. */
export function boundedClientOptions({
  connectTimeoutMs,
  queryTimeoutMs,
}: ConnectionBounds): ClientConfig & { Client: typeof BoundedPgClient } {
  return { Client: BoundedPgClient, connectionTimeoutMillis: connectTimeoutMs, query_timeout: queryTimeoutMs };
}
