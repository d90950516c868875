import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (src/retention): an index that finds finished messages by the time they finished, and the table
 * of dedup records that outlive removed messages.
 *
 * messages_finished_idx holds only finished rows: the claim's rows are never in it, and a message enters it
 * once, at its outcome write. Built CONCURRENTLY (so outside a transaction), so that upgrading a service
 * with millions of finished rows doesn't block ingestion and dispatch for the build; if the build fails
 * it leaves an invalid index, which the next run drops and builds again.
 */
export class Retention1796209672974 implements MigrationInterface {
  name = 'Retention1796209672974';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE c.relname = 'messages_finished_idx' AND NOT i.indisvalid) THEN
          DROP INDEX "public"."messages_finished_idx";
        END IF;
      END $$`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "messages_finished_idx" ON "messages" ("updated_at") WHERE status IN ('sent', 'failed', 'cancelled')`,
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
