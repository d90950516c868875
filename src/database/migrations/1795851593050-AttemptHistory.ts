import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AttemptHistory1795851593050 implements MigrationInterface {
  name = 'AttemptHistory1795851593050';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_due_idx"`);
    await queryRunner.query(
      `CREATE TABLE "message_attempts" ("message_id" uuid NOT NULL, "attempt" integer NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE, "latency_ms" integer, "outcome" character varying(16) NOT NULL, "code" character varying(32), "description" text, "provider_message_id" character varying(128), CONSTRAINT "message_attempts_outcome_check" CHECK (outcome IN ('sent', 'retry', 'rate_limited', 'failed', 'lost')), CONSTRAINT "PK_e60d9f1e736b4ef4452a3561c2c" PRIMARY KEY ("message_id", "attempt"))`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "last_error_code" character varying(32)`);
    await queryRunner.query(
      `CREATE INDEX "messages_due_idx" ON "messages"  ("provider", "next_attempt_at") WHERE status IN ('pending', 'sending')`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_attempts" ADD CONSTRAINT "FK_16ae0aa47223bf767dfcb242b5e" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message_attempts" DROP CONSTRAINT "FK_16ae0aa47223bf767dfcb242b5e"`);
    await queryRunner.query(`DROP INDEX "public"."messages_due_idx"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "last_error_code"`);
    await queryRunner.query(`DROP TABLE "message_attempts"`);
    await queryRunner.query(
      `CREATE INDEX "messages_due_idx" ON "messages" USING btree ("next_attempt_at") WHERE ((status)::text = ANY ((ARRAY['pending'::character varying, 'sending'::character varying])::text[]))`,
    );
  }
}
