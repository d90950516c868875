import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * message_attempts loses its foreign key to messages. Its check ran for every attempt the dispatcher
 * records, as a trigger that locked the message row (FOR KEY SHARE) in the very statement that rewrites
 * it; RECORD_OUTCOMES now writes only attempts whose message exists, and retention deletes a removed
 * message's attempts itself, which ON DELETE CASCADE did.
 */
export class AttemptsWithoutForeignKey1796400000001 implements MigrationInterface {
  name = 'AttemptsWithoutForeignKey1796400000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "message_attempts" DROP CONSTRAINT "FK_16ae0aa47223bf767dfcb242b5e"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM "message_attempts" a WHERE NOT EXISTS (SELECT 1 FROM "messages" m WHERE m.id = a.message_id)`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_attempts" ADD CONSTRAINT "FK_16ae0aa47223bf767dfcb242b5e" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }
}
