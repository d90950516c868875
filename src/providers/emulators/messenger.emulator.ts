import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config';
import { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import { ProviderName } from '../messengers';
import { seededRandom, seedFor } from './random';

/**
 * What the three emulators share: simulated latency and a configurable, reproducible failure rate.
 * Each subclass answers in its messenger's own terms (id format, error texts).
 */
@Injectable() // so subclasses inherit the constructor's injection metadata
export abstract class MessengerEmulator implements MessengerProvider {
  abstract readonly name: ProviderName;
  private randomStream?: () => number;

  constructor(protected readonly config: AppConfig) {}

  async send(message: OutgoingMessage): Promise<SendResult> {
    const latency = this.config.EMULATOR_LATENCY_MS * (0.5 + this.random());
    const fails = this.random() < this.config.EMULATOR_FAILURE_RATE;
    if (latency > 0) await sleep(latency);
    if (fails) return { outcome: 'retry', error: this.transientError() };
    return { outcome: 'sent', providerMessageId: this.newMessageId(message) };
  }

  /** A uniform number in [0, 1) from this messenger's own seeded stream. */
  protected random(): number {
    this.randomStream ??= seededRandom(seedFor(this.config.EMULATOR_SEED, this.name));
    return this.randomStream();
  }

  /** The id the real messenger returns for an accepted message. */
  protected abstract newMessageId(message: OutgoingMessage): string;

  /** How the real messenger reports a passing outage. */
  protected abstract transientError(): string;
}
