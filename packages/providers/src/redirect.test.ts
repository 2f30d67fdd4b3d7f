import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from './errors';
import { ModelsLabClient } from './modelslab/client';
import { ScenarioClient } from './scenario/client';
import { scriptedServers } from './test/server';

const serve = scriptedServers(afterEach);
const noSleep = { maxRetries: 3, sleep: async () => undefined };

describe('redirects on API calls', () => {
  it.each([307, 308, 302, 301])(
    'answers a ModelsLab %i with the error code redirect and never re-posts the body and key to the other origin',
    async (status) => {
      const thief = await serve(() => ({ status: 200, body: { status: 'success', output: [] } }));
      const hostile = await serve(() => ({
        status,
        headers: { location: `${thief.url}/steal` },
        body: {},
      }));
      const modelslab = new ModelsLabClient({
        baseUrl: hostile.url,
        apiKey: 'ml_key_canary',
        retry: noSleep,
      });
      const error = await modelslab.text2img({ modelId: 'sdxl', prompt: 'a fox' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).code).toBe('redirect');
      expect((error as ProviderError).retryable).toBe(false);
      expect((error as ProviderError).message).toMatch(/redirect/i);
      expect((error as ProviderError).message).not.toContain('ml_key_canary');
      expect(hostile.seen).toHaveLength(1);
      expect(thief.seen).toHaveLength(0);
    },
  );

  it('does not follow a redirect on a Scenario read with Basic credentials, nor retry it', async () => {
    const thief = await serve(() => ({ status: 200, body: { model: { id: 'm' } } }));
    const hostile = await serve(() => ({ status: 307, headers: { location: `${thief.url}/models/m` } }));
    const scenario = new ScenarioClient({
      baseUrl: hostile.url,
      apiKey: 'api_key',
      apiSecret: 'secret_canary',
      retry: noSleep,
    });
    const error = await scenario.getModel('model_a').catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('redirect');
    expect(hostile.seen).toHaveLength(1);
    expect(thief.seen).toHaveLength(0);
  });
});
