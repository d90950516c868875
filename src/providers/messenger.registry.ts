import { Inject, Injectable } from '@nestjs/common';
import { MESSENGER_PROVIDERS, MessengerProvider } from './messenger-provider';
import { MessengerName } from './messengers';

/** Looks up the provider that delivers to a messenger. */
@Injectable()
export class MessengerRegistry {
  private readonly byName: ReadonlyMap<MessengerName, MessengerProvider>;

  constructor(@Inject(MESSENGER_PROVIDERS) providers: MessengerProvider[]) {
    const byName = new Map<MessengerName, MessengerProvider>();
    for (const provider of providers) {
      if (byName.has(provider.name)) throw new Error(`Two messenger providers are registered for "${provider.name}"`);
      byName.set(provider.name, provider);
    }
    this.byName = byName;
  }

  get(name: MessengerName): MessengerProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new Error(`No messenger provider is registered for "${name}"`);
    return provider;
  }
}
