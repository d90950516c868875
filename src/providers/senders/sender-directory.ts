import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DEFAULT_CLIENT } from '../../auth/api-keys';
import { AppConfig, InvalidConfigError } from '../../config/app-config';
import { secrets } from '../../logging/secret-scrubber';
import type { MessengerName } from '../messengers';
import {
  accountFor,
  accountNamed,
  accountsOfUnknownClients,
  readSenderAccounts,
  senderSecrets,
  type SenderAccount,
  type SenderAccountOf,
} from './sender-accounts';

/**
 * The sender accounts of SENDERS_FILE as they are now. The file is read at start-up, where a bad one stops the
 * service, and read again every SENDERS_POLL_INTERVAL_MS (polling: a mounted secret is replaced by a symlink
 * swap, which file watchers miss); a bad new version is logged, and the accounts read last stay in use. Without
 * SENDERS_FILE there are no accounts, and every message goes to the built-in emulators.
 */
@Injectable()
export class SenderDirectory implements OnModuleDestroy {
  private readonly logger = new Logger(SenderDirectory.name);
  private accounts: readonly SenderAccount[] = [];
  /** The last file's problems, so a bad file is reported once, not on every poll. */
  private reported = '';
  private readonly timer?: NodeJS.Timeout;
  private readonly changes = new EventEmitter();

  constructor(private readonly config: AppConfig) {
    const path = config.SENDERS_FILE;
    if (path === undefined) return;
    const read = readSenderAccounts(path);
    if (read.problems.length > 0) {
      throw new InvalidConfigError(`Invalid configuration:\n  - ${read.problems.join('\n  - ')}`);
    }
    this.use(read.accounts, read.warnings);
    this.logger.log(`SENDERS_FILE: ${describe(read.accounts)}`);
    this.timer = setInterval(() => this.reload(), config.SENDERS_POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /** Every account, as last read. */
  get all(): readonly SenderAccount[] {
    return this.accounts;
  }

  /** The account `client`'s messages to `provider` go out with; undefined: the built-in emulator. */
  accountFor<P extends MessengerName>(client: string, provider: P): SenderAccountOf<P> | undefined {
    return accountFor(this.accounts, client, provider);
  }

  /** The account a message recorded as its sender; undefined once it has left the file. */
  named(name: string): SenderAccount | undefined {
    return accountNamed(this.accounts, name);
  }

  /** Calls `listener` with the accounts each time a new version of the file is taken into use. */
  onChange(listener: (accounts: readonly SenderAccount[]) => void): void {
    this.changes.on('change', listener);
  }

  /** Reads the file again now (the poll does it on its own); returns whether its accounts were taken. */
  reload(): boolean {
    const path = this.config.SENDERS_FILE;
    if (path === undefined) return false;
    const read = readSenderAccounts(path);
    if (read.problems.length > 0) {
      const problems = read.problems.join('; ');
      if (problems !== this.reported) {
        this.reported = problems;
        this.logger.error(`${problems}: keeping the ${this.accounts.length} sender account(s) read before`);
      }
      return false;
    }
    this.reported = '';
    if (sameAccounts(read.accounts, this.accounts)) return true;
    this.use(read.accounts, read.warnings);
    this.logger.log(`SENDERS_FILE read again: ${describe(read.accounts)}`);
    this.changes.emit('change', this.accounts);
    return true;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private use(accounts: SenderAccount[], warnings: readonly string[]): void {
    // Before anything can log them: an error message or a request URL may carry a token.
    secrets.add(...senderSecrets(accounts));
    this.accounts = accounts;
    const clients = this.config.apiKeys.length > 0 ? this.config.apiKeys.map((key) => key.client) : [DEFAULT_CLIENT];
    for (const warning of [...warnings, ...accountsOfUnknownClients(accounts, clients)]) this.logger.warn(warning);
  }
}

/** Each account by name, messenger and client, e.g. "billing-bot (…, client billing)"; never a credential. */
function describe(accounts: readonly SenderAccount[]): string {
  const each = accounts.map(
    (a) => `${a.name} (${a.provider}, ${a.client === '*' ? 'every client' : `client ${a.client}`})`,
  );
  return `${accounts.length} sender account(s)${each.length > 0 ? `: ${each.join(', ')}` : ''}`;
}

function sameAccounts(a: readonly SenderAccount[], b: readonly SenderAccount[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
