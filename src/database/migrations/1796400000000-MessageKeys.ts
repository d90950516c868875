import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dedup key moves from a unique index on messages (messages_dedup_key) to a table of its own,
 * message_keys (MessageKeyEntity says why). The backfill copies the key of every message that dedups.
 *
 * messages is locked against writes first, so that no row is inserted between the backfill and the index's
 * drop; reads go on. An API process of the previous version fails its inserts once this has run (its
 * ON CONFLICT names the dropped index): upgrade the API processes together.
 */
export class MessageKeys1796400000000 implements MigrationInterface {
  name = 'MessageKeys1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "messages" IN EXCLUSIVE MODE`);
    await queryRunner.query(
      `CREATE TABLE "message_keys" ("client" character varying(64) NOT NULL, "provider" character varying(16) NOT NULL, "recipient" character varying(64) NOT NULL, "body_hash" bytea NOT NULL, "message_id" uuid NOT NULL, CONSTRAINT "PK_message_keys" PRIMARY KEY ("client", "provider", "recipient", "body_hash"))`,
    );
    await queryRunner.query(
      `INSERT INTO "message_keys" ("client", "provider", "recipient", "body_hash", "message_id")
       SELECT "client", "provider", "recipient", "body_hash", "id" FROM "messages" WHERE status <> 'cancelled'`,
    );
    await queryRunner.query(`DROP INDEX "public"."messages_dedup_key"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE UNIQUE INDEX "messages_dedup_key" ON "messages" ("client", "provider", "recipient", "body_hash") WHERE status <> 'cancelled'`,
    );
    await queryRunner.query(`DROP TABLE "message_keys"`);
  }
}
