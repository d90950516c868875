import type { AddressInfo } from 'node:net';

/** Where a postgres:// URL points, as a log may say it: host, port and database, never the user or password. */
export function databaseEndpoint(databaseUrl: string): { host: string; port: number | null; database: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    // A form URL does not read (postgres://app@/db, a Unix socket): better no details than a guess.
    return { host: 'unknown', port: null, database: 'unknown' };
  }
  return {
    host: url.hostname || 'localhost',
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || '(the user name)',
  };
}

/** What a listener is bound to, said plainly: 0.0.0.0 is every interface, not just localhost. */
export function listenerEndpoint({ address, port }: Pick<AddressInfo, 'address' | 'port'>): {
  url: string;
  scope: string;
} {
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (address === '0.0.0.0' || address === '::') {
    return { url, scope: `every ${address === '::' ? '' : 'IPv4 '}interface, e.g. http://localhost:${port}` };
  }
  return { url, scope: address === '::1' || address.startsWith('127.') ? 'this machine only' : 'this address only' };
}
