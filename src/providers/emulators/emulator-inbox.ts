import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MicroBatcher } from '../../common/micro-batcher';
import { AppConfig } from '../../config/app-config';
import { queryRows } from '../../database/raw-sql';
import { MessageEntity } from '../../messages/message.entity';
import { EmulatorInboxEntity } from './emulator-inbox.entity';

export interface Delivery {
  readonly provider: string;
  /** None on a client team's own request to the emulator server. */
  readonly idempotencyKey: string | null;
  readonly recipient: string;
  readonly body: string;
  readonly providerMessageId: string;
}

/** The first delivery made under each key: what a messenger honouring idempotency keys answers a repeat with. */
const FIND_ORIGINALS = `
  SELECT DISTINCT ON (i.provider, i.idempotency_key) i.provider, i.idempotency_key, i.provider_message_id
  FROM emulator_inbox i
  JOIN unnest($1::varchar[], $2::varchar[]) AS k(provider, idempotency_key)
    ON i.provider = k.provider AND i.idempotency_key = k.idempotency_key
  ORDER BY i.provider, i.idempotency_key, i.id`;

const RECORD = `
  INSERT INTO emulator_inbox (provider, idempotency_key, recipient, body, provider_message_id)
  SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[], $5::varchar[])`;

/**
 * The emulated messengers' side of the wire: what they accepted (emulator_inbox) and the idempotency
 * they honour. Concurrent sends are gathered into one statement per event-loop turn, so the inbox costs
 * a query per batch, not per message.
 */
@Injectable()
export class EmulatorInbox {
  private readonly finder: MicroBatcher<{ provider: string; key: string }, string | null>;
  private readonly recorder: MicroBatcher<Delivery, undefined>;

  private readonly enabled: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.enabled = config.EMULATOR_INBOX === 'on';
    this.finder = new MicroBatcher(async (keys) => {
      const rows = await queryRows<{ provider: string; idempotency_key: string; provider_message_id: string }>(
        dataSource.manager,
        FIND_ORIGINALS,
        [keys.map((k) => k.provider), keys.map((k) => k.key)],
      );
      const found = new Map(rows.map((r) => [`${r.provider}\n${r.idempotency_key}`, r.provider_message_id]));
      return keys.map((k) => found.get(`${k.provider}\n${k.key}`) ?? null);
    });
    this.recorder = new MicroBatcher(async (deliveries) => {
      const of = <T>(pick: (d: Delivery) => T) => deliveries.map(pick);
      await queryRows(dataSource.manager, RECORD, [
        of((d) => d.provider),
        of((d) => d.idempotencyKey),
        of((d) => d.recipient),
        of((d) => d.body),
        of((d) => d.providerMessageId),
      ]);
      return deliveries.map(() => undefined);
    });
  }

  /** The provider message id of the first delivery under this key, if any. */
  findOriginal(provider: string, idempotencyKey: string): Promise<string | null> {
    return this.enabled ? this.finder.call({ provider, key: idempotencyKey }) : Promise.resolve(null);
  }

  async record(delivery: Delivery): Promise<void> {
    if (this.enabled) await this.recorder.call(delivery);
  }

  /**
   * A client's deliveries, newest first: those made under the id of one of its messages. inbox_message_id()
   * and the index on it are why the join is by index from either side (InboxByMessage1795880000000).
   */
  list(provider: string, client: string, recipient: string | undefined, limit: number): Promise<EmulatorInboxEntity[]> {
    const query = this.dataSource
      .getRepository(EmulatorInboxEntity)
      .createQueryBuilder('i')
      .innerJoin(MessageEntity, 'm', 'm.id = inbox_message_id(i.idempotency_key)')
      .where('i.provider = :provider AND m.client = :client', { provider, client });
    if (recipient !== undefined) query.andWhere('i.recipient = :recipient', { recipient });
    return query.orderBy('i.id', 'DESC').limit(limit).getMany();
  }

  /**
   * Every delivery to a messenger, newest first, whoever sent it: the emulator server's inbox, which has no
   * clients (its callers are other services and client teams, each with its own tokens).
   */
  listAll(provider: string, recipient: string | undefined, limit: number): Promise<EmulatorInboxEntity[]> {
    const query = this.dataSource
      .getRepository(EmulatorInboxEntity)
      .createQueryBuilder('i')
      .where('i.provider = :provider', { provider });
    if (recipient !== undefined) query.andWhere('i.recipient = :recipient', { recipient });
    return query.orderBy('i.id', 'DESC').limit(limit).getMany();
  }
}
