import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1795853298605 implements MigrationInterface {
  name = 'IdempotencyKeys1795853298605';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("key" character varying(255) NOT NULL, "request_hash" bytea NOT NULL, "status" character varying(16) NOT NULL, "claim_token" uuid NOT NULL, "locked_until" TIMESTAMP WITH TIME ZONE, "response_status" integer, "response_body" json, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "idempotency_keys_status_check" CHECK (status IN ('in_flight', 'completed')), CONSTRAINT "PK_0afd83cbf08c9d12089a9bffc5e" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(`CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys"  ("expires_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idempotency_keys_expires_idx"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
