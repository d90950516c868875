import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sender accounts (SENDERS_FILE): each message records the account it goes out with (null: the built-in
 * emulator), and sender_accounts_state holds which accounts are paused because their messenger refused their
 * credentials, shared by every worker. Adding a nullable column without a default touches no existing row.
 */
export class SenderAccounts1796205333472 implements MigrationInterface {
  name = 'SenderAccounts1796205333472';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "sender" text`);
    await queryRunner.query(
      `CREATE TABLE "sender_accounts_state" ("name" character varying(64) NOT NULL, "paused" boolean NOT NULL DEFAULT false, "last_error_code" character varying(32), "next_probe_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_78a7bf182b668693281842339bd" PRIMARY KEY ("name"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sender_accounts_state"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "sender"`);
  }
}
