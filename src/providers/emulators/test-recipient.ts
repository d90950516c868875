// Plain types, no imports: messenger definitions (read by config) list their test recipients with them.

/**
 * What an emulated messenger decided about one request, before the emulator words it in its
 * messenger's own terms (an HTTP status, an error code in the body…).
 */
export type Verdict<Reason extends string = string> =
  | { readonly kind: 'accept' }
  | { readonly kind: 'transient' }
  | { readonly kind: 'throttled'; readonly scope: 'messenger' | 'recipient'; readonly retryAfterMs: number }
  | { readonly kind: 'permanent'; readonly reason: Reason }
  /** The request is never answered: the caller's timeout decides. */
  | { readonly kind: 'timeout' };

/**
 * A recipient that always behaves the same way, like Stripe's test cards: the first `times` requests
 * for one message get `verdict`, later ones `then` (accepted when omitted). Documented for client teams.
 */
export interface TestRecipient<Reason extends string = string> {
  readonly recipient: string;
  readonly verdict: Verdict<Reason>;
  readonly times?: number;
  readonly then?: Verdict<Reason>;
  /** What the messenger answers, in its words. */
  readonly answer: string;
  /** Where the message ends up in our service. */
  readonly outcome: string;
}
