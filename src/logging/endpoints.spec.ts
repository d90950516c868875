import { databaseEndpoint, listenerEndpoint } from './endpoints';

describe('databaseEndpoint', () => {
  it.each([
    ['postgres://app:s3cret-pw@db.internal:6543/dispatch', { host: 'db.internal', port: 6543, database: 'dispatch' }],
    ['postgresql://db/dispatch', { host: 'db', port: 5432, database: 'dispatch' }],
    ['postgres://app:s3cret-pw@[::1]:5433/my%20db', { host: '[::1]', port: 5433, database: 'my db' }],
    [
      'postgres://app:s3cret-pw@/dispatch?host=/var/run/postgresql',
      { host: 'unknown', port: null, database: 'unknown' },
    ],
  ])('names %s by host, port and database, never its user or password', (url, endpoint) => {
    expect(databaseEndpoint(url)).toEqual(endpoint);
    expect(JSON.stringify(databaseEndpoint(url))).not.toMatch(/app|s3cret/);
  });
});

describe('listenerEndpoint', () => {
  it.each([
    ['0.0.0.0', 'http://0.0.0.0:3000', 'every IPv4 interface, e.g. http://localhost:3000'],
    ['::', 'http://[::]:3000', 'every interface, e.g. http://localhost:3000'],
    ['127.0.0.1', 'http://127.0.0.1:3000', 'this machine only'],
    ['::1', 'http://[::1]:3000', 'this machine only'],
    ['10.0.0.7', 'http://10.0.0.7:3000', 'this address only'],
  ])('says what listening on %s means', (address, url, scope) => {
    expect(listenerEndpoint({ address, port: 3000 })).toEqual({ url, scope });
  });
});
