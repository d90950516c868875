import { MESSENGERS } from './messengers';

/** The test recipients as a Markdown table, for /docs (the README carries the same table). */
export function testRecipientsMarkdown(): string {
  const rows = MESSENGERS.flatMap(({ name, testRecipients }) =>
    testRecipients.map((t) => `| ${name} | \`${t.recipient}\` | ${t.answer} | ${t.outcome} |`),
  );
  return ['| messenger | recipient | the messenger answers | the message ends |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}
