/**
 * The ingestion anchor of `npm run bench`: the least a Nest + fastify app (the service's versions) does to
 * accept a message — class-validator on the body, one INSERT — and nothing else (no auth, no logging, no
 * dedup). Run as a process with DATABASE_URL and PORT; bench.ts makes its table (ANCHOR_TABLE_SQL).
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Pool } from 'pg';

class Recipient {
  @IsIn(['telegram', 'whatsapp', 'viber'])
  provider: string;

  @Matches(/^\+?[0-9A-Za-z_]{1,64}$/)
  @IsString()
  recipient: string;
}

class NewMessage {
  @MaxLength(4096)
  @IsString()
  body: string;

  @ValidateNested({ each: true })
  @Type(() => Recipient)
  @ArrayMaxSize(1000)
  @ArrayMinSize(1)
  @IsArray()
  recipients: Recipient[];

  @IsISO8601()
  @IsOptional()
  send_at?: string;
}

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

@Controller('messages')
class MessagesController {
  @Post()
  @HttpCode(202)
  async create(@Body() message: NewMessage): Promise<{ ids: string[] }> {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO anchor_messages (provider, recipient, body, due_at)
       SELECT p, r, $3, coalesce($4::timestamptz, now()) FROM unnest($1::text[], $2::text[]) AS t(p, r) RETURNING id`,
      [
        message.recipients.map((r) => r.provider),
        message.recipients.map((r) => r.recipient),
        message.body,
        message.send_at,
      ],
    );
    return { ids: rows.map((r) => r.id) };
  }
}

@Module({ controllers: [MessagesController] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
