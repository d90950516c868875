import type { MessageStatus } from '../../src/messages/message-status';
import { aMessageRequest } from './factories';
import type { TestApp } from './test-app';

/** One entry of a POST /messages answer. */
export type PostedMessage = { readonly id: string } & Record<string, unknown>;

/** A row of `messages` as the database holds it (the columns specs look at). */
export interface MessageRow {
  id: string;
  client: string;
  provider: string;
  recipient: string;
  body: string;
  status: MessageStatus;
  retries_count: number;
  attempts: number;
  last_error: string | null;
  last_error_code: string | null;
  provider_message_id: string | null;
  send_at: Date;
  sent_at: Date | null;
  next_attempt_at: Date | null;
  locked_until: Date | null;
}

/** POSTs aMessageRequest(overrides) and answers its entries, one per recipient; any answer but 202 fails the test. */
export async function postMessages(t: TestApp, overrides: Record<string, unknown> = {}): Promise<PostedMessage[]> {
  return (await t.http.post('/messages').send(aMessageRequest(overrides)).expect(202)).body.messages;
}

/** postMessages, answering the ids only. */
export async function postMessageIds(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string[]> {
  return (await postMessages(t, overrides)).map((message) => message.id);
}

/** The message's row, read past the API. */
export async function messageRow(t: TestApp, id: string): Promise<MessageRow> {
  const [row] = await t.sql<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
  if (!row) throw new Error(`no message has id ${id}`);
  return row;
}
