import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The dedup key as a primary key: client, messenger, recipient and body key. The tables that hold keys
 * (message_keys for live messages, dedup_records for removed ones) declare it once, here, so they agree.
 */
export abstract class DedupKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  client: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  provider: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  recipient: string;

  /** bodyDedupKey(body), as messages.body_hash. */
  @PrimaryColumn({ name: 'body_hash', type: 'bytea' })
  bodyHash: Buffer;
}

/**
 * The dedup key of every live message that dedups (all but the cancelled): client, messenger, recipient
 * and body key. Its primary key is what refuses the same text twice, so concurrent identical requests
 * cannot both insert. It lives beside `messages`, not as a unique index on it, because a key never changes
 * after acceptance while the dispatcher rewrites each message row twice: on `messages` every rewrite added
 * an entry to the index, with a uniqueness check (docs/performance.md#what-each-index-costs-the-dispatcher).
 * Written with the message (STORE_NEW), deleted with a cancel (the text may be queued again) and by
 * retention, which leaves a dedup record instead (DedupRecordEntity).
 */
@Entity('message_keys')
export class MessageKeyEntity extends DedupKey {
  @Column({ name: 'message_id', type: 'uuid' })
  messageId: string;
}
