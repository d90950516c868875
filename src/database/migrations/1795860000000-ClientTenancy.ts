import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages and idempotency keys belong to a client (an API key's name). Rows from before API keys go to the
 * client "default", which is also every request's client in open mode. A constant default makes ADD COLUMN
 * a catalogue change, not a table rewrite; the two rebuilt indexes are the migration's real cost.
 */
export class ClientTenancy1795860000000 implements MigrationInterface {
  name = 'ClientTenancy1795860000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "client" character varying(64) NOT NULL DEFAULT 'default'`);
    await queryRunner.query(`DROP INDEX "public"."messages_dedup_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "messages_dedup_key" ON "messages"  ("client", "provider", "recipient", "body_hash") WHERE status <> 'cancelled'`,
    );
    await queryRunner.query(`DROP INDEX "public"."messages_created_idx"`);
    await queryRunner.query(`CREATE INDEX "messages_created_idx" ON "messages"  ("client", "created_at", "id") `);
    await queryRunner.query(
      `ALTER TABLE "idempotency_keys" ADD "client" character varying(64) NOT NULL DEFAULT 'default'`,
    );
    await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP CONSTRAINT "PK_0afd83cbf08c9d12089a9bffc5e"`);
    await queryRunner.query(
      `ALTER TABLE "idempotency_keys" ADD CONSTRAINT "PK_c82ecb706cb47c745d9963fcda5" PRIMARY KEY ("client", "key")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Keys of different clients may now share a value; only one of each can stay under the old primary key.
    await queryRunner.query(`DELETE FROM "idempotency_keys" WHERE "client" <> 'default'`);
    await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP CONSTRAINT "PK_c82ecb706cb47c745d9963fcda5"`);
    await queryRunner.query(
      `ALTER TABLE "idempotency_keys" ADD CONSTRAINT "PK_0afd83cbf08c9d12089a9bffc5e" PRIMARY KEY ("key")`,
    );
    await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "client"`);
    await queryRunner.query(`DROP INDEX "public"."messages_created_idx"`);
    await queryRunner.query(`CREATE INDEX "messages_created_idx" ON "messages"  ("created_at", "id") `);
    await queryRunner.query(`DROP INDEX "public"."messages_dedup_key"`);
    // Two clients may have queued the same body to the same recipient: this fails then, rather than lose one.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "messages_dedup_key" ON "messages"  ("provider", "recipient", "body_hash") WHERE status <> 'cancelled'`,
    );
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "client"`);
  }
}
