import { Injectable } from '@nestjs/common';
import { RequestValidationException } from '../common/validation-errors';
import { AppConfig } from '../config/app-config';
import { secrets } from '../logging/secret-scrubber';
import { checkCallbackUrl } from './callback-address';
import { callbackSecretTexts } from './callback-settings';
import type { WebhookSecret } from './webhook-signature';

/**
 * Who may have callbacks, where they go, and what signs them: CALLBACK_SECRETS, CALLBACK_URLS and
 * CALLBACK_ALLOW_PRIVATE_NETWORKS, read once. Every process has one (the API checks callback_url, the worker
 * signs), and it registers the secrets with the log scrubber in every role.
 */
@Injectable()
export class CallbackPolicy {
  private readonly secretsByClient: ReadonlyMap<string, readonly WebhookSecret[]>;
  private readonly defaultUrls: ReadonlyMap<string, string>;
  readonly allowPrivate: boolean;

  constructor(config: AppConfig) {
    this.secretsByClient = config.callbackSecrets;
    this.defaultUrls = config.callbackUrls;
    this.allowPrivate = config.callbacksMayReachPrivateNetworks;
    if (config.CALLBACK_SECRETS) secrets.add(...callbackSecretTexts(config.CALLBACK_SECRETS));
  }

  /** The client's secrets, in the order listed; empty when it has none (its callbacks cannot be signed). */
  secretsOf(client: string): readonly WebhookSecret[] {
    return this.secretsByClient.get(client) ?? [];
  }

  /**
   * The callback URL to store with a client's new messages: the one requested (absent or null: the client's
   * default, if any), checked. Throws a 400 naming callback_url when the client has no secret to sign with,
   * or when the URL, or the address its host resolves to, may not receive callbacks.
   */
  async urlFor(client: string, requested: string | null | undefined): Promise<string | null> {
    if (requested === undefined || requested === null) return this.defaultUrls.get(client) ?? null;
    if (this.secretsOf(client).length === 0) {
      throw new RequestValidationException([
        {
          field: 'callback_url',
          reason: 'cannot be used: no callback secret is configured for this client (CALLBACK_SECRETS)',
        },
      ]);
    }
    const problem = await checkCallbackUrl(requested, { allowPrivate: this.allowPrivate });
    if (problem !== null) throw new RequestValidationException([{ field: 'callback_url', reason: problem }]);
    return requested;
  }
}
