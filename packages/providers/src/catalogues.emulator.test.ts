import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from './errors';
import { isPng } from './test/assets';
import { type Harness, startHarness } from './test/emulator-harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('model catalogues against the emulator', () => {
  it('Scenario: public models page with a token and carry a thumbnail that downloads as a PNG', async () => {
    const scenario = h.scenario();
    const first = await scenario.models.listPublic({ pageSize: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextPaginationToken).toBeDefined();
    const next = await scenario.models.listPublic({
      pageSize: 3,
      paginationToken: first.nextPaginationToken as string,
    });
    expect(next.items.map((m) => m.id)).not.toContain(first.items[0]?.id);
    const url = first.items[0]?.thumbnail?.url;
    expect(url).toBeTypeOf('string');
    expect(isPng((await scenario.download(url as string)).bytes)).toBe(true);
  });

  it('ModelsLab: the public model list comes camelCased, with a screenshot that downloads as a PNG', async () => {
    const ml = h.modelslab();
    const { models, skipped } = await ml.models.listPublic();
    expect(skipped).toBe(0);
    const sdxl = models.find((m) => m.id === 'sdxl');
    expect(sdxl).toMatchObject({ name: 'SDXL 1.0', status: 'model_ready' });
    expect(isPng((await ml.images.download(sdxl?.screenshot as string)).bytes)).toBe(true);
  });

  it('ModelsLab: a wrong key is an AuthenticationError that does not carry the key', async () => {
    const bad = h.modelslab({ apiKey: 'wrong-key-1234' });
    const error = await bad.models.listPublic().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String((error as Error).message)).not.toContain('wrong-key-1234');
  });
});
