import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { secrets } from '../logging/secret-scrubber';
import { DEFAULT_CLIENT } from './api-keys';

/** Who sent a request, or why it can't be told. */
export type Authentication = { readonly client: string } | { readonly problem: string };

/** `Bearer <token>`, the scheme case-insensitive (RFC 7235); the token is what API_KEYS calls the secret. */
const BEARER = /^Bearer +(\S+) *$/i;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Tells which client sent a request, from its Authorization header. Secrets are compared as sha256 digests
 * with timingSafeEqual: the digests have one length whatever the secrets', and every key is compared on
 * every request, so the time taken says nothing about how close a guess came or which key it matched.
 */
@Injectable()
export class ApiKeysService {
  private readonly keys: ReadonlyArray<{ readonly client: string; readonly digest: Buffer }>;

  constructor(config: AppConfig) {
    this.keys = config.apiKeys.map(({ client, secret }) => ({ client, digest: sha256(secret) }));
    // Wherever a client puts its key (a query parameter, another header, a path), no log line or error carries it.
    secrets.add(...config.apiKeys.map((key) => key.secret));
  }

  /** No keys configured: every request is client "default". */
  get open(): boolean {
    return this.keys.length === 0;
  }

  authenticate(authorization: string | undefined): Authentication {
    if (this.open) return { client: DEFAULT_CLIENT };
    if (authorization === undefined || authorization === '') {
      return { problem: 'is missing: send "Authorization: Bearer <API key>"' };
    }
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) return { problem: 'must be "Bearer <API key>"' };
    const digest = sha256(token);
    let client: string | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest) && client === undefined) client = key.client;
    }
    return client === undefined ? { problem: 'is not a valid API key' } : { client };
  }
}
