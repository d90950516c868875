import type { Response } from 'supertest';
import { isDatabaseUnavailable } from '../../src/common/database-unavailable';

/** What every endpoint answers while PostgreSQL can't be reached. */
export function expectDatabaseUnavailable(res: Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.body).toEqual({
    statusCode: 503,
    code: 'DATABASE_UNAVAILABLE',
    message: 'The database is unavailable; try again in 5 seconds',
  });
}

/** An error the API would answer 503 DATABASE_UNAVAILABLE; a failure shows the error it was instead. */
export function expectDatabaseUnavailableError(error: unknown): void {
  expect(isDatabaseUnavailable(error) ? 'database unavailable' : error).toBe('database unavailable');
}

/** `work`, or a rejection once `limitMs` have passed: a hang fails the test instead of outlasting it. */
export async function within<T>(limitMs: number, work: PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `work` rejects with; undefined if it resolves. */
export function rejectionOf(work: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(work).then(
    () => undefined,
    (error: unknown) => error,
  );
}
