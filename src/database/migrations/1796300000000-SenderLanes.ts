import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each sender account is a lane of its own (paced at its own rate): a lane's claim finds that account's due
 * rows in messages_due_lane_idx. Only rows with an account are in it, so a deployment with none (the built-in
 * emulators, the benchmark) pays nothing for it; the default account's claim keeps messages_due_idx.
 * Built in the migration's transaction, as Retention explains; create it CONCURRENTLY by hand first on a
 * large table (same name and definition).
 */
export class SenderLanes1796300000000 implements MigrationInterface {
  name = 'SenderLanes1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "messages_due_lane_idx" ON "messages" ("provider", "sender", "next_attempt_at") WHERE status IN ('pending', 'sending') AND sender IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_due_lane_idx"`);
  }
}
