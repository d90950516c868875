import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /emulators/:provider/inbox shows a client only its own deliveries: those whose idempotency key is one
 * of its messages' ids. The inbox keeps no client (it is the messenger's record, which knows keys, not our
 * clients), so the read joins messages. The key is text (a messenger takes any string) and the id a uuid:
 * inbox_message_id() reads a key as a message id (NULL when it is not one, rather than a failed cast), and
 * the index on it lets PostgreSQL join from either side by index: from the inbox's newest rows, probing
 * messages by id, for a client with many deliveries; from the client's messages (messages_created_idx),
 * probing this index, for a client with few.
 */
export class InboxByMessage1795880000000 implements MigrationInterface {
  name = 'InboxByMessage1795880000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION inbox_message_id(key varchar) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN key ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN key::uuid END
      $$`);
    await queryRunner.query(
      `CREATE INDEX "emulator_inbox_message_idx" ON "emulator_inbox" ("provider", inbox_message_id("idempotency_key"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."emulator_inbox_message_idx"`);
    await queryRunner.query(`DROP FUNCTION inbox_message_id(varchar)`);
  }
}
