import { EMULATOR_CREDENTIALS } from '@loraflow/emulator/node';
import { afterEach, describe, expect, it } from 'vitest';
import { generationGraph, startWebhookRig, trainingGraph, type WebhookRig } from './test/webhook-rig';

let rig: WebhookRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const MINUTE = 60_000;

describe('webhooks instead of polling', () => {
  it('wakes the waiting node the moment ModelsLab calls back, with no poll in between', async () => {
    rig = await startWebhookRig({ webhooks: true, sleep: 'held' });
    const handle = await rig.runtime.run(trainingGraph());
    // the wait read the status once and now sleeps the safety-net interval, which nothing but a callback ends
    await expect.poll(() => rig?.sleeps.length).toBe(1);
    expect(rig.sleeps).toEqual([rig.webhooks?.safetyNetMs]);
    expect(rig.statusReads()).toBe(1);
    rig.emulator.emulator.clock.advance(15 * MINUTE);
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.nodes.wait?.outputs?.lora).toMatchObject({ provider: 'modelslab', family: 'sd-xl' });
    // one read to start, one when model_ready arrived: the callback is a hint, the outcome is read with the key
    expect(rig.statusReads()).toBe(2);
    expect(rig.sleeps).toHaveLength(1);
    // the stage callbacks showed progress between polls; only two reads were made
    const stages: string[] = [];
    for await (const e of rig.runtime.events(handle.runId)) {
      if (e.type === 'node.progress' && e.nodeId === 'wait' && e.message) stages.push(e.message);
    }
    expect(stages).toEqual(expect.arrayContaining(['training_started', 'deploying_model', 'model_ready']));
    const deliveries = rig.emulator.emulator.webhooks.deliveries();
    expect(deliveries).toHaveLength(8);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
  });

  it('wakes a generation’s wait when ModelsLab posts the finished result with its track_id', async () => {
    rig = await startWebhookRig({ webhooks: true, sleep: 'held' });
    const handle = await rig.runtime.run(await generationGraph());
    await expect.poll(() => rig?.sleeps.length).toBe(1);
    expect(rig.count('modelslab.fetch')).toBe(0);
    rig.emulator.emulator.clock.advance(60_000);
    expect((await handle.result).status).toBe('succeeded');
    expect(rig.count('modelslab.fetch')).toBe(1);
    const [delivery] = rig.emulator.emulator.webhooks.deliveries();
    expect(delivery?.url).toMatch(/\/hooks\/modelslab-image\/[0-9a-f-]{36}\/[A-Za-z0-9_-]{43}$/);
    expect(delivery?.status).toBe(200);
    // ModelsLab echoes a request's fields in `meta`: the callback URL still reaches no event
    const events: unknown[] = [];
    for await (const event of rig.runtime.events(handle.runId)) events.push(event);
    expect(JSON.stringify(events)).not.toContain('/hooks/');
  });

  it('keeps the provider key out of the callback URL and the secret token out of the run’s events', async () => {
    rig = await startWebhookRig({ webhooks: true, sleep: 'stepped' });
    const handle = await rig.runtime.run(trainingGraph());
    expect((await handle.result).status).toBe('succeeded');
    const [delivery] = rig.emulator.emulator.webhooks.deliveries();
    const url = new URL(delivery!.url);
    expect(url.pathname).toMatch(/^\/hooks\/modelslab-training\/lf-[0-9a-f]{16}\/[A-Za-z0-9_-]{43}$/);
    expect(url.href).not.toContain(EMULATOR_CREDENTIALS.modelslab.key);
    const token = url.pathname.split('/').at(-1)!;
    const events: unknown[] = [];
    for await (const event of rig.runtime.events(handle.runId)) events.push(event);
    expect(events.length).toBeGreaterThan(5);
    const stored = JSON.stringify(await rig.runtime.getRun(handle.runId));
    for (const text of [JSON.stringify(events), stored]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('/hooks/');
      expect(text).not.toContain(EMULATOR_CREDENTIALS.modelslab.key);
    }
  });

  it('polls exactly as before when no public URL is given: no webhook is sent, none is called', async () => {
    rig = await startWebhookRig({ webhooks: false, sleep: 'stepped' });
    const handle = await rig.runtime.run(trainingGraph());
    expect((await handle.result).status).toBe('succeeded');
    expect(rig.emulator.emulator.webhooks.deliveries()).toEqual([]);
    // the training's own backoff: 10 s growing by half up to a minute, over fifteen minutes
    expect(rig.sleeps.slice(0, 5)).toEqual([10_000, 15_000, 22_500, 33_750, 50_625]);
    expect(rig.statusReads()).toBe(rig.sleeps.length + 1);
    expect(rig.statusReads()).toBeGreaterThan(10);
  });
});
