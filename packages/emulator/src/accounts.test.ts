import { describe, expect, it } from 'vitest';
import { manualEmulator, modelslab, scenario } from './test/helpers';

const basic = (key: string, secret: string) => `Basic ${btoa(`${key}:${secret}`)}`;
const A = { key: 'api_tenant_a', secret: 'secret-a-1234', projectId: 'proj_a' };
const B = { key: 'api_tenant_b', secret: 'secret-b-5678', projectId: 'proj_b' };

describe('accounts', () => {
  it('acts in the project a Scenario key is bound to, so one key never sees another key’s private model', async () => {
    const emulator = manualEmulator({ credentials: { scenario: [A, B] } });
    const created = await scenario(
      emulator,
      'POST',
      '/models',
      { type: 'flux.1-lora' },
      basic(A.key, A.secret),
    );
    expect(created.status).toBe(200);
    const id = created.body.model.id as string;
    expect((await scenario(emulator, 'GET', `/models/${id}`, undefined, basic(A.key, A.secret))).status).toBe(
      200,
    );
    expect((await scenario(emulator, 'GET', `/models/${id}`, undefined, basic(B.key, B.secret))).status).toBe(
      404,
    );
    // naming the project explicitly still works as before
    expect(
      (await scenario(emulator, 'GET', `/models/${id}?projectId=proj_a`, undefined, basic(B.key, B.secret)))
        .status,
    ).toBe(200);
  });

  it('keeps the default key in proj_emulator when no project is configured', async () => {
    const emulator = manualEmulator();
    const created = await scenario(emulator, 'POST', '/models', { type: 'flux.1-lora' });
    expect(
      (await scenario(emulator, 'GET', `/models/${created.body.model.id}?projectId=proj_emulator`)).status,
    ).toBe(200);
  });

  it('logs which account made each request, by the key’s position, never the key', async () => {
    const emulator = manualEmulator({
      credentials: { scenario: [A, B], modelslab: ['ml-key-aaaa', 'ml-key-bbbb'] },
    });
    await scenario(emulator, 'GET', '/models', undefined, basic(B.key, B.secret));
    await modelslab(emulator, '/v6/images/fetch/1', { key: 'ml-key-bbbb' });
    await modelslab(emulator, '/v6/images/fetch/1', { key: 'wrong' });
    const accounts = emulator.log.entries().map((e) => e.account);
    expect(accounts).toEqual(['scenario-key-1', 'modelslab-key-1', undefined]);
    expect(JSON.stringify(emulator.log.entries())).not.toContain('ml-key-bbbb');
    expect(JSON.stringify(emulator.log.entries())).not.toContain(B.secret);
    expect(JSON.stringify(emulator.log.entries())).not.toContain(B.key);
  });
});
