import type { RecipientInput } from './support/factories';
import { aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * Dedup compares what a reader sees, not bytes (src/messages/canonical-body.ts): a variant of a queued
 * body is the same message, and only one is delivered, in the bytes it was first sent in.
 */
describe('Dedup by the text a reader sees', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const ORIGINAL = 'Caf\u00e9 au lait \u00e0 8h\nMerci !';
  const VARIANTS: ReadonlyArray<readonly [string, string]> = [
    ['decomposed accents (NFD)', 'Cafe\u0301 au lait a\u0300 8h\nMerci !'],
    ['CRLF line breaks', 'Caf\u00e9 au lait \u00e0 8h\r\nMerci !'],
    ['CR line breaks', 'Caf\u00e9 au lait \u00e0 8h\rMerci !'],
    ['spaces and tabs at the ends of lines', 'Caf\u00e9 au lait \u00e0 8h \t\nMerci ! '],
    ['trailing newlines', 'Caf\u00e9 au lait \u00e0 8h\nMerci !\n\n'],
    ['a trailing no-break space', 'Caf\u00e9 au lait \u00e0 8h\u00a0\nMerci !'],
    ['a zero-width space', 'Caf\u00e9 au\u200b lait \u00e0 8h\nMerci !'],
    ['a word joiner', 'Caf\u00e9 au lait \u00e0\u2060 8h\nMerci !'],
    ['a byte-order mark', '\ufeffCaf\u00e9 au lait \u00e0 8h\nMerci !'],
    ['all of them at once', '\ufeffCafe\u200b\u0301 au lait a\u0300 8h \r\nMerci !\u00a0\r\n'],
  ];
  const DISTINCT: ReadonlyArray<readonly [string, string]> = [
    ['a zero-width joiner', 'Caf\u00e9 au\u200d lait \u00e0 8h\nMerci !'],
    ['a zero-width non-joiner', 'Caf\u00e9 au\u200c lait \u00e0 8h\nMerci !'],
    ['a left-to-right mark', 'Caf\u00e9 au lait \u00e0 8h\u200e\nMerci !'],
    ['a right-to-left mark', '\u200fCaf\u00e9 au lait \u00e0 8h\nMerci !'],
    ['an Arabic letter mark', 'Caf\u00e9 au lait \u00e0 8h\nMerci !\u061c'],
    ['leading whitespace', '  Caf\u00e9 au lait \u00e0 8h\nMerci !'],
    ['a doubled inner space', 'Caf\u00e9 au  lait \u00e0 8h\nMerci !'],
    ['another case', 'CAF\u00c9 au lait \u00e0 8h\nMerci !'],
    ['a full-width digit (equal under NFKC only)', 'Caf\u00e9 au lait \u00e0 \uff18h\nMerci !'],
    ['a blank line more', 'Caf\u00e9 au lait \u00e0 8h\n\nMerci !'],
  ];

  const post = (body: string, recipient: RecipientInput) =>
    t.http.post('/messages').send({ body, recipients: [recipient] });

  it.each(VARIANTS)(
    'answers a body with %s as a duplicate of the queued one, and delivers it once',
    async (_, variant) => {
      const recipient = aRecipient.viber();
      const first = (await post(ORIGINAL, recipient).expect(202)).body.messages[0];

      const again = await post(variant, recipient).expect(200);

      expect(again.body.messages[0]).toMatchObject({ id: first.id, duplicate: true });
      await t.dispatch.dispatchDue();
      expect(t.messengers.viber.calls.map((call) => call.body)).toEqual([ORIGINAL]);
    },
  );

  it('keeps the first body exactly as sent, and dedups the canonical text against it', async () => {
    const recipient = aRecipient.telegram();
    const sent = '\ufeffCafe\u0301 au lait\u200b a\u0300 8h \r\nMerci !\r\n';
    const first = (await post(sent, recipient).expect(202)).body.messages[0];

    const again = await post(ORIGINAL, recipient).expect(200);

    expect(again.body.messages[0]).toMatchObject({ id: first.id, duplicate: true });
    expect((await t.http.get(`/messages/${first.id}`).expect(200)).body.body).toBe(sent);
    await t.dispatch.dispatchDue();
    expect(t.messengers.telegram.calls.map((call) => call.body)).toEqual([sent]);
  });

  it('queues and delivers, as sent, each body that reads differently', async () => {
    const recipient = aRecipient.whatsapp();
    await post(ORIGINAL, recipient).expect(202);
    const ids = [];
    for (const [, body] of DISTINCT) {
      const answer = await post(body, recipient).expect(202);
      expect(answer.body.messages[0].duplicate).toBe(false);
      ids.push(answer.body.messages[0].id);
    }

    await t.dispatch.dispatchDue();

    expect(new Set(ids).size).toBe(DISTINCT.length);
    const delivered = t.messengers.whatsapp.calls.map((call) => call.body);
    expect(delivered.sort()).toEqual([ORIGINAL, ...DISTINCT.map(([, body]) => body)].sort());
  });
});
