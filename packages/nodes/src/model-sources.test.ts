import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_CREDENTIALS, type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { ModelsLabClient, ScenarioClient } from '@loraflow/providers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoraModelSources, type LoraModelQuery, type LoraModelSource } from './model-sources';
import { pngDataUrl } from './test/harness';

let server: RunningEmulator;
let scenario: ScenarioClient;
let sources: LoraModelSource[];

beforeEach(async () => {
  server = await startEmulator({ clock: 'manual', port: 0 });
  const retry = { sleep: async (ms: number) => server.emulator.clock.advance(ms) };
  scenario = new ScenarioClient({
    baseUrl: `${server.url}/scenario/v1`,
    apiKey: EMULATOR_CREDENTIALS.scenario.key,
    apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
    retry,
  });
  const modelslab = new ModelsLabClient({
    baseUrl: `${server.url}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
    retry,
  });
  sources = createLoraModelSources({ scenario, modelslab });
});
afterEach(async () => {
  await server.close();
});

const isPng = (bytes: Uint8Array | undefined) =>
  bytes !== undefined && bytes[0] === 0x89 && bytes[1] === 0x50;

async function everything(source: LoraModelSource, q: Omit<LoraModelQuery, 'cursor'>) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.list({ ...q, ...(cursor ? { cursor } : {}) }, {});
    expect(page.models.length).toBeLessThanOrEqual(q.limit);
    ids.push(...page.models.map((m) => m.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** A FLUX.1 LoRA of the project, trained to the end on the emulator's clock. */
async function trainedLora(name: string): Promise<string> {
  const model = await scenario.models.create({ name, type: 'flux.1-lora' });
  await scenario.models.addTrainingImage(model.id, { name: 'a.png', data: pngDataUrl(1) });
  await scenario.models.train(model.id);
  server.emulator.clock.advance(24 * 3600_000);
  return model.id;
}

describe('the Scenario model source', () => {
  it("lists the project's trained LoRAs first, then the public ones, typed with family and picture", async () => {
    const mine = await trainedLora('my ink');
    const [source] = sources;
    const { models } = await source!.list({ kind: 'lora', family: 'flux.1', limit: 50 }, {});
    expect(models[0]).toMatchObject({
      id: mine,
      name: 'my ink',
      scope: 'own',
      family: 'flux.1',
      familyLabel: 'FLUX.1',
    });
    expect(models.find((m) => m.id === 'model_flux1-watercolor')).toMatchObject({
      name: 'Watercolor Wash',
      kind: 'lora',
      scope: 'public',
      modelType: 'flux.1-lora',
      hasThumbnail: true,
    });
    // FLUX.2 LoRAs cannot feed a FLUX.1 input, so the family filter leaves them out
    expect(models.map((m) => m.id)).not.toContain('model_flux2-ink-sketch');
    expect(isPng(await source!.thumbnail('model_flux1-watercolor', {}))).toBe(true);
    // a trained model's picture is its last epoch's sample, found by reading the model
    expect(isPng(await createLoraModelSources({ scenario })[0]!.thumbnail(mine, {}))).toBe(true);
  });

  it('pages to the same list whatever the page size, and searches names across pages', async () => {
    const [source] = sources;
    const whole = await everything(source!, { limit: 100 });
    expect(whole.length).toBeGreaterThan(10);
    expect(await everything(source!, { limit: 3 })).toEqual(whole);
    expect(await everything(source!, { search: 'NOIR', limit: 1 })).toEqual(['model_flux1-neon-noir']);
    expect(await everything(source!, { kind: 'base', limit: 4 })).toContain('model_bfl-flux-2-dev');
    // a cursor it did not write is refused as such (the runtime answers it as request.invalid)
    await expect(source!.list({ limit: 3, cursor: '{"p":7}' }, {})).rejects.toBeInstanceOf(RangeError);
    await expect(sources[1]!.list({ limit: 3, cursor: 'x' }, {})).rejects.toBeInstanceOf(RangeError);
  });
});

describe('the ModelsLab model source', () => {
  it('lists the public checkpoints with pictures; a family filter shows the known ones first, then the unknown ones badged', async () => {
    const source = sources[1]!;
    expect(source.provider).toBe('modelslab');
    const { models } = await source.list({ limit: 50 }, {});
    expect(models.find((m) => m.id === 'sdxl')).toMatchObject({
      name: 'SDXL 1.0',
      kind: 'base',
      hasThumbnail: true,
    });
    expect(isPng(await source.thumbnail('sdxl', {}))).toBe(true);
    expect(await source.thumbnail('no-such-model', {})).toBeUndefined();
    expect(models.find((m) => m.id === 'sdxl')).toMatchObject({ family: 'sd-xl', familyLabel: 'SDXL' });
    const filtered = (await source.list({ family: 'sd-xl', limit: 50 }, {})).models;
    // ModelsLab names no family: a checkpoint loraflow cannot tell is shown, marked so, after those known to fit
    expect(filtered[0]).toMatchObject({ id: 'sdxl', family: 'sd-xl' });
    expect(filtered.find((m) => m.id === 'juggernaut-xl-v10')).toMatchObject({
      family: 'unknown',
      familyLabel: 'unknown family',
    });
    expect(filtered.slice(1).every((m) => m.family === 'unknown')).toBe(true);
    // the ones known to be another family stay out
    expect(filtered.map((m) => m.id)).not.toContain('flux');
    expect(filtered.map((m) => m.id)).not.toContain('realistic-vision-v51');
    expect(await everything(source, { limit: 2 })).toEqual(models.map((m) => m.id));
  });

  it('pages and finds pictures in one read of the catalogues, not two whole lists per page or per unknown picture', async () => {
    const source = sources[1]!;
    const reads = () => server.emulator.log.entries({ route: 'modelslab.models.publicList' }).length;
    expect(await everything(source, { limit: 1 })).toContain('sdxl');
    expect(reads()).toBe(1);
    expect(await source.thumbnail('no-such-model', {})).toBeUndefined();
    expect(await source.thumbnail('no-such-model', {})).toBeUndefined();
    expect(isPng(await source.thumbnail('sdxl', {}))).toBe(true);
    expect(reads()).toBe(1);
    // a first page reads afresh
    await source.list({ limit: 1 }, {});
    expect(reads()).toBe(2);
  });

  it('leaves out a malformed catalogue row and says how many, keeping the rest', async () => {
    const http = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const rows = [{ model_id: 'sdxl', model_name: 'SDXL 1.0' }, { model_id: 7 }, { model_id: 'flux' }];
      res.end(JSON.stringify(req.url?.endsWith('/model_list') ? rows : { status: 'success', data: [] }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const modelslab = new ModelsLabClient({ baseUrl: url, apiKey: 'modelslab-key-rows-01' });
      const [source] = createLoraModelSources({ modelslab });
      const page = await source!.list({ limit: 50 }, {});
      expect(page.models.map((m) => m.id)).toEqual(['sdxl', 'flux']);
      expect(page.skipped).toBe(1);
      // a picker adds up `skipped` over the pages it loads: the row is counted once per listing, not once per page
      let total = 0;
      let cursor: string | undefined;
      do {
        const next = await source!.list({ limit: 1, ...(cursor ? { cursor } : {}) }, {});
        total += next.skipped ?? 0;
        cursor = next.nextCursor;
      } while (cursor);
      expect(total).toBe(1);
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
