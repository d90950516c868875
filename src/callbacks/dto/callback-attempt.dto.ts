import { ApiProperty } from '@nestjs/swagger';
import { CALLBACK_EVENT_TYPES, type CallbackEventType } from '../callback-event.entity';
import type { CallbackAttemptRow } from '../callbacks.repository';

/** One attempt to deliver one of a message's callback events. */
export class CallbackAttemptDto {
  /** The event's id: the `webhook-id` header, the same on each of its attempts. @example "01a22170-3b41-7d0e-8c55-0f6a9e2b7c13" */
  @ApiProperty({ type: String, format: 'uuid' })
  event_id: string;

  @ApiProperty({ enum: CALLBACK_EVENT_TYPES, example: 'message.sent' })
  type: CallbackEventType;

  /** 1 for the event's first attempt. @example 1 */
  @ApiProperty({ type: 'integer', minimum: 1 })
  attempt: number;

  /** @example "2026-12-01T06:00:01.530Z" */
  @ApiProperty({ type: String, format: 'date-time' })
  attempted_at: string;

  /** The receiver's HTTP status; null when it gave none (refused, unreachable, no answer in time). @example 500 */
  @ApiProperty({ type: 'integer', nullable: true })
  status_code: number | null;

  /** Why the attempt failed; null when it was delivered (a 2xx). @example "HTTP 500" */
  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  /** From the request to the answer's status, or to the failure. @example 42 */
  @ApiProperty({ type: 'integer', minimum: 0 })
  latency_ms: number;
}

export class CallbackAttemptListDto {
  /** Oldest first. */
  items: CallbackAttemptDto[];
}

export function toCallbackAttemptDto(row: CallbackAttemptRow): CallbackAttemptDto {
  return {
    event_id: row.event_id,
    type: row.type,
    attempt: row.attempt,
    attempted_at: row.attempted_at.toISOString(),
    status_code: row.status_code,
    error: row.error,
    latency_ms: row.latency_ms,
  };
}
