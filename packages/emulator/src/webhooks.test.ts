import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator } from './emulator';
import { ML_KEY, manualEmulator, modelslab, specTrainingStages } from './test/helpers';
import { createWebhookDispatcher, isLoopback } from './webhooks';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback receiver that records every JSON body posted to it. */
async function receiver(): Promise<{
  url: string;
  bodies: Array<Record<string, unknown>>;
  received: (n: number) => Promise<void>;
}> {
  const bodies: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.end('ok');
      for (const wake of waiters.splice(0)) wake();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const received = async (n: number) => {
    while (bodies.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { url, bodies, received };
}

const training = (webhook: string, extra: Record<string, unknown> = {}) => ({
  key: ML_KEY,
  instance_prompt: 'photo of ambika0 man',
  class_prompt: 'photo of a man',
  images: ['https://example.invalid/1.png'],
  training_type: 'men',
  max_train_steps: 20,
  webhook,
  ...extra,
});

describe('ModelsLab webhooks', () => {
  it('only ever call loopback receivers', () => {
    expect(isLoopback('http://127.0.0.1:9/x')).toBe(true);
    expect(isLoopback('http://localhost/x')).toBe(true);
    expect(isLoopback('http://[::1]:80/')).toBe(true);
    expect(isLoopback('https://example.com/hook')).toBe(false);
    expect(isLoopback('http://10.0.0.1/hook')).toBe(false);
    expect(isLoopback('not a url')).toBe(false);
  });

  it('deliver due events in time order and skip those whose payload is gone', async () => {
    let now = 0;
    const sent: string[] = [];
    const hooks = createWebhookDispatcher({
      now: () => now,
      send: async (url, body) => {
        sent.push(`${url} ${body}`);
        return 204;
      },
    });
    hooks.schedule('http://127.0.0.1/b', 20, () => ({ n: 2 }));
    hooks.schedule('http://127.0.0.1/a', 10, () => ({ n: 1 }));
    hooks.schedule('http://127.0.0.1/c', 15, () => undefined);
    hooks.schedule('https://example.com/never', 5, () => ({ n: 0 }));
    expect(hooks.pending()).toBe(3);
    expect(hooks.nextAt()).toBe(10);
    now = 20;
    hooks.pump();
    await hooks.settle();
    expect(sent).toEqual(['http://127.0.0.1/a {"n":1}', 'http://127.0.0.1/b {"n":2}']);
    expect(hooks.deliveries().map((d) => d.status)).toEqual([204, 204]);
  });

  it('announce each of the eight v3 training stages once, in order, as the clock reaches them', async () => {
    const hook = await receiver();
    const emulator = manualEmulator();
    const started = await modelslab(emulator, '/v3/lora_fine_tune', training(hook.url));
    for (let minute = 0; minute < 20; minute++) emulator.clock.advance(60_000);
    await hook.received(8);
    await emulator.webhooks.settle();
    expect(hook.bodies.map((b) => b.training_status)).toEqual(specTrainingStages());
    expect(hook.bodies.every((b) => b.status === 'success' && b.model_id === started.body.training_id)).toBe(
      true,
    );
    expect(emulator.webhooks.deliveries().every((d) => d.status === 200)).toBe(true);
  });

  it('stop announcing a training once it is canceled', async () => {
    const hook = await receiver();
    const emulator = manualEmulator();
    const started = await modelslab(emulator, '/v3/lora_fine_tune', training(hook.url));
    emulator.clock.advance(3 * 60_000);
    await modelslab(emulator, `/v3/cancel_training/${started.body.training_id}`, { key: ML_KEY });
    emulator.clock.advance(30 * 60_000);
    await emulator.webhooks.settle();
    expect(hook.bodies.map((b) => b.training_status)).toEqual(['deploying_gpu', 'training_started']);
    expect(emulator.webhooks.pending()).toBe(0);
  });

  it('post the finished text2img result with the track_id when the eta passes', async () => {
    const hook = await receiver();
    const emulator = manualEmulator();
    const res = await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
      webhook: hook.url,
      track_id: 'run-7',
    });
    emulator.clock.advance(12_000);
    await emulator.webhooks.settle();
    expect(hook.bodies).toEqual([]);
    emulator.clock.advance(1_000);
    await hook.received(1);
    expect(hook.bodies[0]).toMatchObject({ status: 'success', id: res.body.id, track_id: 'run-7' });
    expect(hook.bodies[0]?.output).toEqual(res.body.future_links);
  });

  it('never call a receiver off the machine', async () => {
    const emulator = manualEmulator({ timings: { modelslabEtaMs: 0 } });
    await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
      webhook: 'https://example.com/hook',
    });
    emulator.clock.advance(60_000);
    await emulator.webhooks.settle();
    expect(emulator.webhooks.deliveries()).toEqual([]);
  });

  it('fire on a wall timer when the clock runs, with no request to pump them', async () => {
    const hook = await receiver();
    // At 200× a 13-second eta is 65 ms of wall time: due after the answer, delivered by the timer.
    const emulator = createEmulator({ clock: { speed: 200 } });
    const res = await modelslab(emulator, '/v6/images/text2img', {
      key: ML_KEY,
      model_id: 'sdxl',
      prompt: 'x',
      webhook: hook.url,
    });
    expect(res.body.status).toBe('processing');
    await hook.received(1);
    expect(hook.bodies[0]?.status).toBe('success');
    expect(emulator.log.entries().map((e) => e.route)).toEqual(['modelslab.text2img']);
  });
});
