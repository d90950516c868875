import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The emulator server (APP_ROLE=emulators) records every delivery it accepts, including a client team's own
 * requests, which carry no Idempotency-Key (the real APIs have none). Deliveries made by this service always
 * carry one, so the inbox the API shows (joined to messages by key) is unchanged.
 */
export class KeylessInboxDeliveries1796205447437 implements MigrationInterface {
  name = 'KeylessInboxDeliveries1796205447437';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "emulator_inbox" ALTER COLUMN "idempotency_key" DROP NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "emulator_inbox" WHERE "idempotency_key" IS NULL`);
    await queryRunner.query(`ALTER TABLE "emulator_inbox" ALTER COLUMN "idempotency_key" SET NOT NULL`);
  }
}
