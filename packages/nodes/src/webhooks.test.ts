import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hookPolling, loraWebhookKinds, type WebhookService } from './webhooks';

/** A webhooks service whose callbacks the test sends by hand. */
function fakeWebhooks(): WebhookService & { callBack(job: string): void } {
  const waiters = new Map<string, Array<() => void>>();
  return {
    safetyNetMs: 300_000,
    url: async (kind, hook) => `https://flows.example/hooks/${kind}/${hook}/token`,
    ended: (_kind, job, signal) =>
      new Promise<void>((resolve, reject) => {
        waiters.set(job, [...(waiters.get(job) ?? []), resolve]);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    callBack(job) {
      for (const wake of waiters.get(job) ?? []) wake();
      waiters.delete(job);
    },
  };
}

const ctxWith = (services: Record<string, unknown>) => ({
  services: { has: (name: string) => name in services, get: <T>(name: string) => services[name] as T },
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('hookPolling', () => {
  it('leaves polling as configured when the job has no webhook or the host no service', () => {
    const polling = { maxIntervalMs: 50 };
    expect(hookPolling(ctxWith({ polling }), undefined)).toEqual(polling);
    expect(hookPolling(ctxWith({ polling }), { kind: 'k', job: 'j' })).toEqual(polling);
    expect(hookPolling(ctxWith({ polling, webhooks: fakeWebhooks() }), undefined)).toEqual(polling);
  });

  it('polls at the safety-net interval and ends a pause the moment the job’s callback arrives', async () => {
    const webhooks = fakeWebhooks();
    const p = hookPolling(ctxWith({ webhooks }), { kind: 'k', job: 'j1' });
    expect([p.minIntervalMs, p.maxIntervalMs]).toEqual([300_000, 300_000]);
    let slept = false;
    const pause = p.sleep!(300_000).then(() => {
      slept = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(slept).toBe(false);
    webhooks.callBack('other-job');
    await vi.advanceTimersByTimeAsync(0);
    expect(slept).toBe(false);
    webhooks.callBack('j1');
    await vi.advanceTimersByTimeAsync(0);
    expect(slept).toBe(true);
    await pause;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after one wake, reads again within 30 s instead of being cut again', async () => {
    const webhooks = fakeWebhooks();
    const p = hookPolling(ctxWith({ webhooks }), { kind: 'k', job: 'j2' });
    const first = p.sleep!(300_000);
    webhooks.callBack('j2');
    await first;
    let slept = false;
    const second = p.sleep!(300_000).then(() => {
      slept = true;
    });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(slept).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(slept).toBe(true);
  });

  it('rejects a pause when the run is cancelled, woken or not', async () => {
    const p = hookPolling(ctxWith({ webhooks: fakeWebhooks() }), { kind: 'k', job: 'j3' });
    const controller = new AbortController();
    const pause = p.sleep!(300_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(pause).rejects.toThrow('cancelled');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('loraWebhookKinds', () => {
  it('reads a ModelsLab training stage, its end at model_ready, and a failure', () => {
    const training = loraWebhookKinds['modelslab-training'];
    const body = {
      status: 'success',
      training_status: 'training_started',
      logs: '…',
      model_id: 'F5jvdzGnYi',
    };
    expect(training.parse(body)).toEqual({ job: 'F5jvdzGnYi', ended: false, stage: 'training_started' });
    expect(training.parse({ ...body, training_status: 'model_ready' }).ended).toBe(true);
    expect(training.parse({ status: 'failed', model_id: 7 })).toEqual({
      job: '7',
      ended: true,
      stage: 'failed',
    });
    expect(training.safeParse({ status: 'success' }).success).toBe(false);
  });

  it('reads a ModelsLab generation’s finished result by its id', () => {
    const image = loraWebhookKinds['modelslab-image'];
    expect(image.parse({ status: 'success', id: 42, output: ['u'], track_id: 'h' })).toEqual({
      job: '42',
      ended: true,
      stage: 'success',
    });
    expect(image.parse({ status: 'processing', id: '42' }).ended).toBe(false);
    expect(image.safeParse({ status: 'success', id: -1 }).success).toBe(false);
  });
});
