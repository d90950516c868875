import { createTestApp, TestApp } from './support/test-app';
import { aMessageRequest } from './support/factories';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  it('accepts and sends', async () => {
    const res = await t.http.post('/messages').send(aMessageRequest()).expect(202);
    await t.dispatch.dispatchDue();
    const got = await t.http.get(`/messages/${res.body.messages[0].id}`).expect(200);
    expect(got.body.status).toBe('sent');
  });
});
