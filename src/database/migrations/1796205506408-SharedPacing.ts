import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pacing state shared by every worker, per lane (messenger account): the next free send slot, and the
 * recipients still inside their interval. See src/dispatch/dispatch-lane.entity.ts.
 */
export class SharedPacing1796205506408 implements MigrationInterface {
  name = 'SharedPacing1796205506408';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "dispatch_lanes" (
        "provider" character varying(16) NOT NULL,
        "sender" text NOT NULL,
        "next_slot_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "dispatch_lanes_pkey" PRIMARY KEY ("provider", "sender"))`);
    await queryRunner.query(`
      CREATE TABLE "dispatch_recipients" (
        "provider" character varying(16) NOT NULL,
        "sender" text NOT NULL,
        "recipient" character varying(64) NOT NULL,
        "free_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "dispatch_recipients_pkey" PRIMARY KEY ("provider", "sender", "recipient"))`);
    await queryRunner.query(
      `CREATE INDEX "dispatch_recipients_free_at_idx" ON "dispatch_recipients" ("provider", "sender", "free_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dispatch_recipients"`);
    await queryRunner.query(`DROP TABLE "dispatch_lanes"`);
  }
}
