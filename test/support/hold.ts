import type { INestApplication } from '@nestjs/common';
import { MessagesService } from '../../src/messages/messages.service';

/**
 * Holds the next MessagesService.create() until release(): a request that has taken its Idempotency-Key and
 * is still running. `entered` resolves once it is there. Undone by jest.restoreAllMocks().
 */
export function holdNextCreate(app: INestApplication): { entered: Promise<void>; release: () => void } {
  const service = app.get(MessagesService);
  const create = service.create.bind(service);
  let release!: () => void;
  let enter!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  jest.spyOn(service, 'create').mockImplementationOnce(async (client, request) => {
    enter();
    await gate;
    return create(client, request);
  });
  return { entered, release };
}
