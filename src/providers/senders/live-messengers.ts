import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { LiveClientOptions } from '../live/live-client-options';
import type { MessengerProvider } from '../messenger-provider';
import { LIVE_MESSENGER_FACTORIES, type LiveMessenger, type LiveMessengerFactories } from '../messenger-wiring';
import type { MessengerName } from '../messengers';
import { SenderDirectory } from './sender-directory';

/** A live client, and the account as it was when it was made: a changed account gets a new client (and pool). */
interface Cached {
  readonly live: LiveMessenger;
  readonly fingerprint: string;
}

/** Most a connection to a messenger may take to open; a send's own timeout bounds it further. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The providers of the sender accounts in SENDERS_FILE: one live client (and one keep-alive pool) per account,
 * made by its messenger's wiring on the account's first message and kept while the account stays as it is. An
 * account changed in the file gets a new client, and one removed or changed has its pool closed, once its calls
 * under way are done.
 */
@Injectable()
export class LiveMessengers implements OnApplicationShutdown {
  private readonly logger = new Logger(LiveMessengers.name);
  private readonly byName = new Map<string, Cached>();
  private readonly options: LiveClientOptions;

  constructor(
    private readonly directory: SenderDirectory,
    @Inject(LIVE_MESSENGER_FACTORIES) private readonly factories: LiveMessengerFactories,
    config: AppConfig,
  ) {
    this.options = {
      sendTimeoutMs: config.DISPATCH_SEND_TIMEOUT_MS,
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, config.DISPATCH_SEND_TIMEOUT_MS),
    };
    directory.onChange(() => this.dropStale());
  }

  /**
   * The provider of the account named `sender`, for a message to `provider`; undefined when the file no longer
   * has that account (or has it for another messenger): the message must wait.
   */
  providerFor(provider: MessengerName, sender: string): MessengerProvider | undefined {
    const account = this.directory.named(sender);
    if (account === undefined || account.provider !== provider) return undefined;
    const fingerprint = JSON.stringify(account);
    let cached = this.byName.get(sender);
    if (cached?.fingerprint !== fingerprint) {
      if (cached) this.retire(sender, cached.live);
      cached = { live: this.factories[account.provider](account, this.options), fingerprint };
      this.byName.set(sender, cached);
    }
    return cached.live.provider;
  }

  /** After the dispatcher has stopped (beforeApplicationShutdown): its last sends still have their connections. */
  async onApplicationShutdown(): Promise<void> {
    const open = [...this.byName.values()];
    this.byName.clear();
    await Promise.all(open.map((cached) => cached.live.close()));
  }

  private dropStale(): void {
    for (const [name, cached] of this.byName) {
      const account = this.directory.named(name);
      if (account === undefined || JSON.stringify(account) !== cached.fingerprint) {
        this.byName.delete(name);
        this.retire(name, cached.live);
      }
    }
  }

  private retire(name: string, live: LiveMessenger): void {
    live.close().catch((error: unknown) => {
      this.logger.warn(`closing sender account "${name}"'s connections failed: ${String(error)}`);
    });
  }
}
