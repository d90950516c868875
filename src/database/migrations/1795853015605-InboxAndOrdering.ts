import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InboxAndOrdering1795853015605 implements MigrationInterface {
  name = 'InboxAndOrdering1795853015605';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "emulator_inbox" ("id" BIGSERIAL NOT NULL, "provider" character varying(16) NOT NULL, "idempotency_key" character varying(64) NOT NULL, "recipient" character varying(64) NOT NULL, "body" text NOT NULL, "provider_message_id" character varying(128) NOT NULL, "accepted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), CONSTRAINT "PK_40008f37fd6ac605e715af41df7" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "emulator_inbox_recipient_idx" ON "emulator_inbox"  ("provider", "recipient", "accepted_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "emulator_inbox_key_idx" ON "emulator_inbox"  ("provider", "idempotency_key") `,
    );
    await queryRunner.query(
      `CREATE INDEX "messages_recipient_queue_idx" ON "messages"  ("provider", "recipient", "send_at", "created_at") WHERE status IN ('pending', 'sending')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_recipient_queue_idx"`);
    await queryRunner.query(`DROP INDEX "public"."emulator_inbox_key_idx"`);
    await queryRunner.query(`DROP INDEX "public"."emulator_inbox_recipient_idx"`);
    await queryRunner.query(`DROP TABLE "emulator_inbox"`);
  }
}
