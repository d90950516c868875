import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { SendResult } from '../providers/messenger-provider';
import type { MessengerName } from '../providers/messengers';
import { SenderStateRepository, type PausedSender } from './sender-state.repository';
import { errorMessage } from '../common/error-message';

/** Whether a claimed message may go now: as usual, as its paused account's one probe, or not before `waitMs`. */
export type Admission =
  { readonly send: true; readonly probe: boolean } | { readonly send: false; readonly waitMs: number };

const SEND: Admission = { send: true, probe: false };

/**
 * Pauses sender accounts whose credentials the messenger refused, for every worker (sender_accounts_state), and
 * lets one message of a paused account through every SENDER_PROBE_INTERVAL_MS to find out whether they work again:
 * a probe that gets an answer other than a refusal resumes the account. Messages of the built-in emulator (no
 * sender) never touch the table.
 */
@Injectable()
export class SenderGate {
  private readonly logger = new Logger(SenderGate.name);

  constructor(
    private readonly state: SenderStateRepository,
    private readonly config: AppConfig,
  ) {}

  get probeIntervalMs(): number {
    return this.config.SENDER_PROBE_INTERVAL_MS;
  }

  /** The gate for one claimed batch: which of its accounts are paused, read once (no query when none has one). */
  async forBatch(senders: Iterable<string | null>): Promise<BatchGate> {
    const names = [...new Set([...senders].filter((sender): sender is string => sender !== null))];
    if (names.length === 0) return new BatchGate(this, new Map());
    return new BatchGate(this, new Map((await this.state.pausedAmong(names)).map((p) => [p.name, p])));
  }

  /** Pauses `sender` for everyone; logs when it is this worker that paused it. */
  async pause(sender: string, provider: MessengerName, result: { code: string; description: string }): Promise<void> {
    try {
      if (await this.state.pause(sender, result.code, this.probeIntervalMs)) {
        this.logger.warn(
          `sender account "${sender}" (${provider}) paused: ${result.code} ${result.description}. ` +
            `Its messages wait (no retry spent); one is tried every ${this.probeIntervalMs} ms until it goes through`,
        );
      }
    } catch (error) {
      // The message itself goes back to pending either way; the next refusal pauses the account.
      this.logger.warn(`pausing sender account "${sender}" failed: ${errorMessage(error)}`);
    }
  }

  /** Resumes `sender` after a probe went through; logs when it is this worker that resumed it. */
  async resume(sender: string, provider: MessengerName): Promise<void> {
    try {
      if (await this.state.resume(sender)) {
        this.logger.log(`sender account "${sender}" (${provider}) resumed: a probe went through`);
      }
    } catch (error) {
      this.logger.warn(`resuming sender account "${sender}" failed: ${errorMessage(error)}`);
    }
  }

  /** Takes the account's probe if it is due; false (and no probe) when the database cannot say. */
  async takeProbe(sender: string): Promise<boolean> {
    try {
      return await this.state.takeProbe(sender, this.probeIntervalMs);
    } catch (error) {
      this.logger.warn(`probing sender account "${sender}" failed: ${errorMessage(error)}`);
      return false;
    }
  }
}

/** One batch's view of its paused accounts, updated as its messages settle. */
export class BatchGate {
  /** Accounts whose probe this batch holds: their other messages wait for it. */
  private readonly probing = new Set<string>();

  constructor(
    private readonly gate: SenderGate,
    private readonly paused: Map<string, PausedSender>,
  ) {}

  async admit(sender: string | null, now = Date.now()): Promise<Admission> {
    if (sender === null) return SEND;
    const paused = this.paused.get(sender);
    if (paused === undefined) return SEND;
    const interval = this.gate.probeIntervalMs;
    if (this.probing.has(sender)) return { send: false, waitMs: interval };
    const untilProbe = paused.nextProbeAt.getTime() - now;
    if (untilProbe > 0) return { send: false, waitMs: Math.min(untilProbe, interval) };
    this.probing.add(sender);
    if (await this.gate.takeProbe(sender)) return { send: true, probe: true };
    // Another worker holds this probe: the next is an interval away.
    return { send: false, waitMs: interval };
  }

  /** After a send of `sender`'s: a refusal pauses the account, a probe that got through resumes it. */
  async settled(sender: string | null, provider: MessengerName, result: SendResult, probe: boolean): Promise<void> {
    if (sender === null) return;
    if (result.outcome === 'account_failed') {
      if (!this.paused.has(sender)) {
        const nextProbeAt = new Date(Date.now() + this.gate.probeIntervalMs);
        this.paused.set(sender, { name: sender, code: result.code, nextProbeAt });
      }
      this.probing.delete(sender);
      await this.gate.pause(sender, provider, result);
      return;
    }
    if (!probe) return;
    this.probing.delete(sender);
    if (credentialsAccepted(result)) {
      this.paused.delete(sender);
      await this.gate.resume(sender, provider);
    }
  }
}

/** An answer that tells the credentials work: a send, a refusal of the message itself, or "slow down". */
function credentialsAccepted(result: SendResult): boolean {
  return (
    result.outcome === 'sent' || result.outcome === 'failed' || (result.outcome === 'retry' && !!result.rateLimited)
  );
}
