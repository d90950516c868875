import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (src/retention): an index that finds finished messages by the time they finished, and the table
 * of dedup records that outlive removed messages.
 *
 * messages_finished_idx holds only finished rows: the claim's rows are never in it, and a message enters it
 * once, at its outcome write. Built in the migration's transaction, which blocks writes to messages for the
 * build (seconds per million rows). Not CONCURRENTLY: that waits for every open snapshot, including those
 * of the processes waiting on the migration lock, and so never ends when several start together
 * (test/startup.e2e-spec.ts). On a large table, create it CONCURRENTLY by hand before upgrading (same
 * name and definition): IF NOT EXISTS then skips it.
 */
export class Retention1796209672974 implements MigrationInterface {
  name = 'Retention1796209672974';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "messages_finished_idx" ON "messages" ("updated_at") WHERE status IN ('sent', 'failed', 'cancelled')`,
    );
    // Fixed-width columns first: no alignment padding in a row that exists per removed message.
    await queryRunner.query(
      `CREATE TABLE IF NOT EXISTS "dedup_records" ("message_id" uuid NOT NULL, "send_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL, "retries_count" integer NOT NULL, "client" character varying(64) NOT NULL, "provider" character varying(16) NOT NULL, "recipient" character varying(64) NOT NULL, "body_hash" bytea NOT NULL, "status" character varying(16) NOT NULL, CONSTRAINT "PK_dedup_records" PRIMARY KEY ("client", "provider", "recipient", "body_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "dedup_records_finished_idx" ON "dedup_records" ("finished_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dedup_records"`);
    await queryRunner.query(`DROP INDEX "public"."messages_finished_idx"`);
  }
}
