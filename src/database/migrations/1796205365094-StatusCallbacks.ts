import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Status callbacks: each message may carry a callback_url (a nullable column without a default: adding it
 * rewrites nothing), and an outbox of events, callback_events, with the history of their delivery
 * attempts, callback_attempts. See CallbackEventEntity.
 */
export class StatusCallbacks1796205365094 implements MigrationInterface {
  name = 'StatusCallbacks1796205365094';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "callback_url" text`);
    await queryRunner.query(
      `CREATE TABLE "callback_events" ("id" uuid NOT NULL DEFAULT uuid_v7(), "message_id" uuid NOT NULL, "client" character varying(64) NOT NULL, "type" character varying(32) NOT NULL, "url" text NOT NULL, "payload" json NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE DEFAULT now(), "first_attempt_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "callback_events_state_check" CHECK (state IN ('pending', 'delivered', 'dead')), CONSTRAINT "callback_events_type_check" CHECK (type IN ('message.sent', 'message.failed', 'message.cancelled')), CONSTRAINT "PK_34d2b0cd8fc35fda9892c791ae8" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "callback_events_message_idx" ON "callback_events"  ("message_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "callback_events_due_idx" ON "callback_events"  ("next_attempt_at") WHERE state = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE "callback_attempts" ("event_id" uuid NOT NULL, "attempt" integer NOT NULL, "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status_code" integer, "error" text, "latency_ms" integer NOT NULL, CONSTRAINT "PK_c3c9c8df2d3c6bbcc5290de5d4e" PRIMARY KEY ("event_id", "attempt"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "callback_events" ADD CONSTRAINT "FK_d917adcdcf1d48184c6ef41a044" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "callback_attempts" ADD CONSTRAINT "FK_3bcd78a163e6bb52f51034750f9" FOREIGN KEY ("event_id") REFERENCES "callback_events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "callback_attempts"`);
    await queryRunner.query(`DROP TABLE "callback_events"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "callback_url"`);
  }
}
