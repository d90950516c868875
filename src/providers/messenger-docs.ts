import type { MessengerDefinition } from './messenger-definition';
import { MESSENGERS } from './messengers';

/** The messenger the API document's examples show a message on, and the one a second recipient is on. */
export const [EXAMPLE_MESSENGER, OTHER_EXAMPLE_MESSENGER] = MESSENGERS;

/** The display names as prose: "A, B and C". */
export const MESSENGERS_IN_PROSE = MESSENGERS.map((m) => m.displayName)
  .join(', ')
  .replace(/, ([^,]*)$/, ' and $1');

/** The recipient format up to its details: "an E.164 phone number", for examples short enough to read. */
export const recipientKind = (messenger: MessengerDefinition): string => messenger.recipientFormat.split(':')[0];

/**
 * Lines of at most `width` characters, made of `parts` joined by spaces and broken only between them. The
 * API's descriptions have always been wrapped so (at 105); words as parts wrap a paragraph.
 */
export function wrap(parts: readonly string[], width = 105): string {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.length - 1;
    if (last >= 0 && [...lines[last]].length + 1 + [...part].length <= width) lines[last] += ` ${part}`;
    else lines.push(part);
  }
  return lines.join('\n');
}

/** For the API description: how each messenger's answers count, in its own codes. */
export function answerCountsMarkdown(): string {
  const codes = (pick: (m: MessengerDefinition) => string | undefined) =>
    MESSENGERS.flatMap((m: MessengerDefinition) => {
      const code = pick(m);
      return code ? [`${m.displayName} ${code}`] : [];
    });
  const slowDown = codes((m) => m.answerCodes.slowDown).join(', ');
  const transient = ['5xx', ...codes((m) => m.answerCodes.transient), 'timeouts'].join(', ');
  const permanent = codes((m) => m.answerCodes.permanent).join(', ');
  const text =
    `**How a messenger's answer counts**: accepted → \`sent\`; "slow down" (${slowDown}) → retried when the ` +
    `messenger allows, *costing no retry*; a transient error (${transient}) → retried with backoff, at most ` +
    `MAX_RETRIES times; a permanent one (${permanent} …) → \`failed\` at once. \`last_error_code\` and each ` +
    `attempt's \`code\` carry the messenger's own code.`;
  return wrap(text.split(' '));
}

/** The test recipients as a Markdown table, for /docs (docs/api.md carries the same table). */
export function testRecipientsMarkdown(): string {
  const rows = MESSENGERS.flatMap(({ name, testRecipients }) =>
    testRecipients.map((t) => `| ${name} | \`${t.recipient}\` | ${t.answer} | ${t.outcome} |`),
  );
  return ['| messenger | recipient | the messenger answers | the message ends |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** For the API's description of `recipient`: each messenger's rule, briefly. */
export const RECIPIENT_RULES_TEXT = wrap([
  'The user on that messenger.',
  ...MESSENGERS.map((m, i) => `${m.displayName}: ${m.recipientSummary}${i < MESSENGERS.length - 1 ? ';' : '.'}`),
]);
