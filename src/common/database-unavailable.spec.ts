import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { isDatabaseTimeout, isDatabaseUnavailable } from './database-unavailable';

/** An error as PostgreSQL sends it, parsed by pg. */
function serverError(code: string, severity: string, message: string): DatabaseError {
  return Object.assign(new DatabaseError(message, 0, 'error'), { code, severity });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
}

describe('isDatabaseUnavailable', () => {
  it.each<[string, unknown]>([
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset', socketError('ECONNRESET')],
    ['a socket timeout', socketError('ETIMEDOUT')],
    ['an unknown host', socketError('ENOTFOUND')],
    ['57P01 admin_shutdown', serverError('57P01', 'FATAL', 'terminating connection due to administrator command')],
    [
      '57P02 crash_shutdown',
      serverError('57P02', 'FATAL', 'terminating connection because of crash of another server process'),
    ],
    ['57P03 cannot_connect_now', serverError('57P03', 'FATAL', 'the database system is starting up')],
    ['08006 connection_failure', serverError('08006', 'ERROR', 'connection failure')],
    ['08P01 protocol_violation', serverError('08P01', 'ERROR', 'protocol violation')],
    ['53300 too_many_connections', serverError('53300', 'FATAL', 'sorry, too many clients already')],
    ['57014 a statement timeout', serverError('57014', 'ERROR', 'canceling statement due to statement timeout')],
    [
      'a database not accepting connections',
      serverError('55000', 'FATAL', 'database "x" is not currently accepting connections'),
    ],
    ['the connection closing under a query', new Error('Connection terminated unexpectedly')],
    ['pg-pool finding no connection in time', new Error('timeout exceeded when trying to connect')],
    [
      'a client broken by an earlier error',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['a statement past DATABASE_QUERY_TIMEOUT_MS (a frozen server)', new Error('Query read timeout')],
    ['a statement on a connection closed after a timeout', new Error('Client was closed and is not queryable')],
    ['a connect past DATABASE_CONNECT_TIMEOUT_MS', new Error('Connection terminated due to connection timeout')],
    ["pg's own connect timeout", new Error('timeout expired')],
    ['a timeout wrapped by TypeORM', new QueryFailedError('SELECT 1', [], new Error('Query read timeout'))],
    [
      'a server error wrapped by TypeORM',
      new QueryFailedError('SELECT 1', [], serverError('57P01', 'FATAL', 'terminating connection')),
    ],
    [
      'socket errors of every address tried',
      new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]),
    ],
    ['an error with the cause', new Error('query failed', { cause: socketError('ECONNRESET') })],
  ])('recognises %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation', new QueryFailedError('INSERT', [], serverError('23505', 'ERROR', 'duplicate key value'))],
    ['a syntax error', serverError('42601', 'ERROR', 'syntax error at or near "SELEC"')],
    ['a serialization failure', serverError('40001', 'ERROR', 'could not serialize access')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a numeric code', Object.assign(new Error('odd'), { code: 8 })],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isDatabaseTimeout', () => {
  it.each<[string, unknown]>([
    [
      'a statement past DATABASE_QUERY_TIMEOUT_MS, wrapped by TypeORM',
      new QueryFailedError('SELECT 1', [], new Error('Query read timeout')),
    ],
    ['no pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['no new connection in time', new Error('Connection terminated due to connection timeout')],
  ])('recognises %s: the database did not answer in time', (_, error) => {
    expect(isDatabaseTimeout(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a refused connection', socketError('ECONNREFUSED')],
    ['a connection closed under a query', new Error('Connection terminated unexpectedly')],
    ['a server shutting down', serverError('57P01', 'FATAL', 'terminating connection due to administrator command')],
    ['a bug', new Error('boom')],
  ])('does not take %s for one: the database answered at once', (_, error) => {
    expect(isDatabaseTimeout(error)).toBe(false);
  });
});
