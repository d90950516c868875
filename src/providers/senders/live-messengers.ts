import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { MessengerProvider } from '../messenger-provider';
import type { ProviderName } from '../messengers';
import { TelegramBotApiClient } from '../telegram/telegram-bot-api.client';
import { TelegramProvider } from '../telegram/telegram.provider';
import { ViberRestApiClient } from '../viber/viber-rest-api.client';
import { ViberProvider } from '../viber/viber.provider';
import { WhatsAppCloudApiClient } from '../whatsapp/whatsapp-cloud-api.client';
import { WhatsAppProvider } from '../whatsapp/whatsapp.provider';
import type { SenderAccount } from './sender-accounts';
import { SenderDirectory } from './sender-directory';
import type { LiveClientOptions } from '../live/live-client-options';

/** A live client and the provider over it: the messenger's own outcome mapping, on the account's connection. */
interface LiveMessenger {
  readonly provider: MessengerProvider;
  /** The account as it was when the client was made: a changed one gets a new client (and pool). */
  readonly fingerprint: string;
  close(): Promise<void>;
}

/** Most a connection to a messenger may take to open; a send's own timeout bounds it further. */
const CONNECT_TIMEOUT_MS = 5_000;

function liveMessenger(account: SenderAccount, options: LiveClientOptions): LiveMessenger {
  const fingerprint = JSON.stringify(account);
  switch (account.provider) {
    case 'telegram': {
      const api = new TelegramBotApiClient(account, options);
      return { provider: new TelegramProvider(api), fingerprint, close: () => api.close() };
    }
    case 'whatsapp': {
      const api = new WhatsAppCloudApiClient(account, options);
      return { provider: new WhatsAppProvider(api), fingerprint, close: () => api.close() };
    }
    case 'viber': {
      const api = new ViberRestApiClient(account, options);
      return { provider: new ViberProvider(api), fingerprint, close: () => api.close() };
    }
  }
}

/**
 * The providers of the sender accounts in SENDERS_FILE: one live client (and one keep-alive pool) per account,
 * made on its first message and kept while the account stays as it is. An account changed in the file gets a
 * new client, and one removed or changed has its pool closed, once its calls under way are done.
 */
@Injectable()
export class LiveMessengers implements OnApplicationShutdown {
  private readonly logger = new Logger(LiveMessengers.name);
  private readonly byName = new Map<string, LiveMessenger>();
  private readonly options: LiveClientOptions;

  constructor(
    private readonly directory: SenderDirectory,
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
  providerFor(provider: ProviderName, sender: string): MessengerProvider | undefined {
    const account = this.directory.named(sender);
    if (account === undefined || account.provider !== provider) return undefined;
    const fingerprint = JSON.stringify(account);
    let live = this.byName.get(sender);
    if (live?.fingerprint !== fingerprint) {
      if (live) this.retire(sender, live);
      live = liveMessenger(account, this.options);
      this.byName.set(sender, live);
    }
    return live.provider;
  }

  /** After the dispatcher has stopped (beforeApplicationShutdown): its last sends still have their connections. */
  async onApplicationShutdown(): Promise<void> {
    const open = [...this.byName.values()];
    this.byName.clear();
    await Promise.all(open.map((live) => live.close()));
  }

  private dropStale(): void {
    for (const [name, live] of this.byName) {
      const account = this.directory.named(name);
      if (account === undefined || JSON.stringify(account) !== live.fingerprint) {
        this.byName.delete(name);
        this.retire(name, live);
      }
    }
  }

  private retire(name: string, live: LiveMessenger): void {
    live.close().catch((error: unknown) => {
      this.logger.warn(`closing sender account "${name}"'s connections failed: ${String(error)}`);
    });
  }
}
