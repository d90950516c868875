import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessengerName } from '../../src/providers/messengers';

/** One account per messenger, each with a token of its own (a Graph phone number id and a Viber sender name besides). */
export type SenderTokens = Readonly<Record<MessengerName, string>>;

/** The WhatsApp number every account here sends from, and the Graph version its base_url names. */
export const PHONE_NUMBER_ID = '106540352242922';
export const GRAPH_VERSION = 'v21.0';

/**
 * A SENDERS_FILE (issue 12, §5) with one account per messenger for every client ("*"), each `base_url` pointing
 * at the emulator server at `url` (WhatsApp's with its Graph version, as Meta documents the root).
 */
export function sendersAt(url: string, names: Readonly<Record<MessengerName, string>>, tokens: SenderTokens) {
  return [
    { client: '*', provider: 'telegram', name: names.telegram, token: tokens.telegram, base_url: url },
    {
      client: '*',
      provider: 'whatsapp',
      name: names.whatsapp,
      phone_number_id: PHONE_NUMBER_ID,
      token: tokens.whatsapp,
      base_url: `${url}/${GRAPH_VERSION}`,
    },
    {
      client: '*',
      provider: 'viber',
      name: names.viber,
      token: tokens.viber,
      sender_name: 'Shop',
      base_url: url,
    },
  ];
}

/** A sender list in a temporary directory, replaced whole (write, then rename) as a mounted secret is. */
export class SenderListFile {
  private readonly dir = mkdtempSync(join(tmpdir(), 'sender-list-'));
  readonly path = join(this.dir, 'senders.json');

  write(accounts: readonly object[]): void {
    const next = join(this.dir, 'senders.next.json');
    writeFileSync(next, JSON.stringify(accounts));
    renameSync(next, this.path);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
