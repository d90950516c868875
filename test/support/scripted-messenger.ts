import type { MessengerProvider, OutgoingMessage, SendResult } from '../../src/providers/messenger-provider';
import { MESSENGER_NAMES, type MessengerName } from '../../src/providers/messengers';

export type Script = (message: OutgoingMessage, call: number) => SendResult | Promise<SendResult>;

export const succeed: Script = (message) => ({ outcome: 'sent', providerMessageId: `sent-${message.id}` });
export const failTransiently: Script = () => ({ outcome: 'retry', code: '503', description: 'scripted outage' });

/** A messenger whose answers a test decides, and which remembers every call. */
export class ScriptedMessenger implements MessengerProvider {
  readonly calls: OutgoingMessage[] = [];

  constructor(
    readonly name: MessengerName,
    public script: Script = succeed,
  ) {}

  async send(message: OutgoingMessage): Promise<SendResult> {
    this.calls.push(message);
    return this.script(message, this.calls.length);
  }

  callsFor(id: string): OutgoingMessage[] {
    return this.calls.filter((call) => call.id === id);
  }
}

/** One scripted messenger per messenger of the list. */
export function scriptedMessengers(script: Script = succeed): Record<MessengerName, ScriptedMessenger> {
  return Object.fromEntries(MESSENGER_NAMES.map((name) => [name, new ScriptedMessenger(name, script)])) as Record<
    MessengerName,
    ScriptedMessenger
  >;
}
