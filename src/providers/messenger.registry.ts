import { Inject, Injectable } from '@nestjs/common';
import { MESSENGER_PROVIDERS, MessengerProvider } from './messenger-provider';
import { ProviderName } from './messengers';

/** Looks up the provider that delivers to a messenger. */
@Injectable()
export class MessengerRegistry {
  private readonly byName: ReadonlyMap<ProviderName, MessengerProvider>;

  constructor(@Inject(MESSENGER_PROVIDERS) providers: MessengerProvider[]) {
    this.byName = new Map(providers.map((provider) => [provider.name, provider]));
  }

  get(name: ProviderName): MessengerProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new Error(`No messenger provider is registered for "${name}"`);
    return provider;
  }
}
