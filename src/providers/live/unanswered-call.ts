import type { SendResult } from '../messenger-provider';
import type { TransportResult } from './http-transport';

/**
 * A live client's call that got no answer from the messenger: thrown through the messenger's API interface (which
 * only knows answers), and read back by the dispatcher as `result`. Its message never holds a secret: it is the
 * transport's description, which redacts them.
 */
export class UnansweredCall extends Error {
  readonly result: SendResult;

  constructor(outcome: Exclude<TransportResult, { kind: 'answered' }>) {
    super(outcome.description);
    this.name = 'UnansweredCall';
    this.result = {
      outcome: 'retry',
      // Never written (not_sent): nothing was delivered, a plain transient failure. Written and unanswered: the
      // lost-answer case, under the code an in-process timeout has ("timeout"), the Idempotency-Key covering it.
      code: outcome.kind === 'no_answer' && outcome.code === 'timeout' ? 'timeout' : outcome.code,
      description: outcome.description,
    };
  }
}

/** The answer of a call, or UnansweredCall thrown for a call that got none. */
export function answerOf(result: TransportResult): { readonly httpStatus: number; readonly body: unknown } {
  if (result.kind !== 'answered') throw new UnansweredCall(result);
  return result;
}
