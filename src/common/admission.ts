import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { DomainError, DomainErrorCode } from './domain-error';

/** The Retry-After of a 503 OVERLOADED: the work in flight is a few requests, which end within about a second. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/**
 * A bounded amount of work in flight. Work is admitted while its cost fits; work that finds nothing in
 * flight is admitted whatever its cost, so an idle server refuses nothing (one request's size has bounds
 * of its own: the body limit, MAX_RECIPIENTS).
 */
export class WorkBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** Whether `cost` more fits: nothing always does, and anything does when nothing is in flight. */
  hasRoomFor(cost: number): boolean {
    return cost === 0 || this.used === 0 || this.used + cost <= this.capacity;
  }

  take(cost: number): void {
    this.used += cost;
  }

  give(cost: number): void {
    this.used -= cost;
  }
}

/**
 * The work one request holds, from the moment its handling starts. It is given back once the response is
 * done (sent, or its connection closed) and the handler has answered: a client that hangs up does not end
 * the work it started.
 */
export class WorkHold {
  private closed = false;
  private answered = false;
  private givenBack = false;

  constructor(
    private readonly budget: WorkBudget,
    readonly units: number,
  ) {
    budget.take(units);
  }

  /** The response is done: sent, or its connection closed. */
  close(): void {
    this.closed = true;
    this.settle();
  }

  /** The handler has answered. */
  answer(): void {
    this.answered = true;
    this.settle();
  }

  private settle(): void {
    if (this.givenBack || !this.closed || !this.answered) return;
    this.givenBack = true;
    this.budget.give(this.units);
  }
}

/**
 * Starts work at most `perTurn` units per turn of the event loop (work that finds none started this turn
 * starts whatever its cost), in order, and none in the turn after one that started some: a burst of
 * admitted requests would otherwise validate back to back, holding the event loop, and every probe, for
 * all of them at once. A turn ends in the check phase (setImmediate), so a poll phase, where probes are
 * read and answered, always comes between two starts of deferred work.
 */
export class TurnPacer {
  private startedThisTurn = 0;
  private readonly waiting: { cost: number; start: () => void }[] = [];
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  start(cost: number, start: () => void): void {
    this.waiting.push({ cost, start });
    this.startWhatFits();
  }

  private startWhatFits(): void {
    while (
      this.waiting.length > 0 &&
      (this.startedThisTurn === 0 || this.startedThisTurn + this.waiting[0].cost <= this.perTurn)
    ) {
      const next = this.waiting.shift()!;
      this.startedThisTurn += next.cost;
      next.start();
    }
    this.endTurnSoon();
  }

  private endTurnSoon(): void {
    if (this.scheduled || (this.startedThisTurn === 0 && this.waiting.length === 0)) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const rested = this.startedThisTurn === 0;
      this.startedThisTurn = 0;
      if (rested) this.startWhatFits();
      else this.endTurnSoon();
    });
  }
}

/**
 * The bytes a request's body may hold in memory: its Content-Length, capped at the body limit (beyond
 * it the answer is 413 without reading), or the whole limit when the length is unknown (chunked).
 * GET and HEAD bodies are never read.
 */
export function bodyBytes(method: string, headers: IncomingHttpHeaders, bodyLimit: number): number {
  if (method === 'GET' || method === 'HEAD') return 0;
  if (headers['transfer-encoding'] !== undefined) return bodyLimit;
  const length = Number(headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0 ? Math.min(length, bodyLimit) : 0;
}

const WORK_COST = 'admissionWorkCost';

/**
 * A route config (`@RouteConfig(admitByWork(cost))`): the route's requests are admitted by the work their
 * parsed body asks for, counted against API_MAX_RECIPIENTS_IN_FLIGHT (see admissionControl). `cost` runs
 * on every request before validation: it must be cheap and take any JSON.
 */
export const admitByWork = (cost: (body: unknown) => number) => ({ [WORK_COST]: cost });

export interface AdmissionLimits {
  /** Bytes of request bodies being read or handled at once (API_MAX_BYTES_IN_FLIGHT). */
  readonly bytesInFlight: number;
  /** Units of work (recipients) being handled at once, for routes configured with admitByWork (API_MAX_RECIPIENTS_IN_FLIGHT). */
  readonly workInFlight: number;
  /** Units of work started per turn of the event loop, at most (see TurnPacer). */
  readonly workPerTurn: number;
}

/** Calls `fn` once the response is done: sent, or its connection closed (maybe already: a budget must never leak). */
function whenClosed(response: ServerResponse, fn: () => void): void {
  if (response.closed) fn();
  else response.once('close', fn);
}

const overloaded = () =>
  new DomainError(
    DomainErrorCode.Overloaded,
    `The service is at capacity; try again in ${OVERLOADED_RETRY_AFTER_SECONDS} s`,
    { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS },
  );

/**
 * Load shedding: a request that would take the work in flight past a budget is refused 503 OVERLOADED
 * with Retry-After before its work starts, so that memory stays bounded whatever clients send, and the
 * event loop, free of a backlog, keeps answering probes. Each check is a few comparisons:
 * - before the body is read (preParsing): its bytes, what receiving and parsing bodies holds
 *   (API_MAX_BYTES_IN_FLIGHT), given back when the response is done. This also bounds how many bodies
 *   a burst makes the server parse at once. A request that the work budget could not take even at its
 *   cheapest is refused here too, unread;
 * - once it is parsed (preValidation, before Nest's pipes copy and validate it): the work it asks for,
 *   what handling it holds: DTOs, statement parameters, rows, the answer (API_MAX_RECIPIENTS_IN_FLIGHT),
 *   given back as WorkHold says. Admitted work then starts as TurnPacer allows.
 * Probes and /metrics are GETs without a cost: never refused.
 */
export function admissionControl(fastify: FastifyInstance, limits: AdmissionLimits): void {
  const bytes = new WorkBudget(limits.bytesInFlight);
  const work = new WorkBudget(limits.workInFlight);
  const pacer = new TurnPacer(limits.workPerTurn);
  const holds = new WeakMap<FastifyRequest, WorkHold>();
  const costOf = (request: FastifyRequest) =>
    (request.routeOptions.config as { [WORK_COST]?: (body: unknown) => number })[WORK_COST];

  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const size = bodyBytes(
      request.method,
      request.headers,
      request.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit ?? 0,
    );
    if (!bytes.hasRoomFor(size) || (costOf(request) && !work.hasRoomFor(1))) return done(overloaded(), payload);
    if (size > 0) {
      bytes.take(size);
      whenClosed(reply.raw, () => bytes.give(size));
    }
    done(null, payload);
  });

  fastify.addHook('preValidation', (request, reply, done) => {
    const cost = costOf(request);
    if (cost === undefined) return done();
    const units = cost(request.body);
    if (!work.hasRoomFor(units)) return done(overloaded());
    const hold = new WorkHold(work, units);
    holds.set(request, hold);
    whenClosed(reply.raw, () => hold.close());
    pacer.start(units, done);
  });

  fastify.addHook('onSend', (request, _reply, payload, done) => {
    holds.get(request)?.answer();
    done(null, payload);
  });
}
