import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitMessages1795850169683 implements MigrationInterface {
  name = 'InitMessages1795850169683';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "provider" character varying(16) NOT NULL, "recipient" character varying(64) NOT NULL, "body" text NOT NULL, "body_hash" bytea NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "send_at" TIMESTAMP WITH TIME ZONE NOT NULL, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "retries_count" integer NOT NULL DEFAULT '0', "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "provider_message_id" character varying(128), "locked_until" TIMESTAMP WITH TIME ZONE, "sent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "messages_provider_check" CHECK (provider IN ('telegram', 'whatsapp', 'viber')), CONSTRAINT "messages_status_check" CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "messages_created_idx" ON "messages"  ("created_at", "id") `);
    await queryRunner.query(
      `CREATE INDEX "messages_due_idx" ON "messages"  ("next_attempt_at") WHERE status IN ('pending', 'sending')`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "messages_dedup_key" ON "messages"  ("provider", "recipient", "body_hash") WHERE status <> 'cancelled'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_dedup_key"`);
    await queryRunner.query(`DROP INDEX "public"."messages_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."messages_created_idx"`);
    await queryRunner.query(`DROP TABLE "messages"`);
  }
}
