import { apiExample } from '../common/api-docs';

/** Example bodies for the OpenAPI document (/docs), for the callbacks' routes. */

const EVENT_ID = '01a22170-3b41-7d0e-8c55-0f6a9e2b7c13';

export const CALLBACK_EXAMPLES = {
  attempts: apiExample('CallbackAttempts', 'Refused once, then delivered', {
    items: [
      {
        event_id: EVENT_ID,
        type: 'message.sent',
        attempt: 1,
        attempted_at: '2026-12-01T06:00:01.530Z',
        status_code: 503,
        error: 'HTTP 503',
        latency_ms: 42,
      },
      {
        event_id: EVENT_ID,
        type: 'message.sent',
        attempt: 2,
        attempted_at: '2026-12-01T06:00:04.118Z',
        status_code: 204,
        error: null,
        latency_ms: 18,
      },
    ],
  }),
};
