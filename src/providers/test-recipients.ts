import type { TestRecipient } from './emulators/emulated-messenger';
import type { ProviderName } from './messengers';
import { TELEGRAM_TEST_RECIPIENTS } from './telegram/telegram-bot-api.emulator';
import { VIBER_TEST_RECIPIENTS } from './viber/viber-rest-api.emulator';
import { WHATSAPP_TEST_RECIPIENTS } from './whatsapp/whatsapp-cloud-api.emulator';

/** Every messenger's test recipients, for the docs. */
export const TEST_RECIPIENTS: Readonly<Record<ProviderName, readonly TestRecipient[]>> = {
  telegram: TELEGRAM_TEST_RECIPIENTS,
  whatsapp: WHATSAPP_TEST_RECIPIENTS,
  viber: VIBER_TEST_RECIPIENTS,
};

/** The test recipients as a Markdown table, for /docs (the README carries the same table). */
export function testRecipientsMarkdown(): string {
  const rows = Object.entries(TEST_RECIPIENTS).flatMap(([provider, recipients]) =>
    recipients.map((t) => `| ${provider} | \`${t.recipient}\` | ${t.answer} | ${t.outcome} |`),
  );
  return ['| messenger | recipient | the messenger answers | the message ends |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}
