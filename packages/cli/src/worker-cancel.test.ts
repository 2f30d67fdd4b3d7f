import type { RunEvent } from '@loraflow/core';
import { describe, expect, it } from 'vitest';
import { useTestCluster } from '../../store-postgres/src/test/use-cluster';
import { proofEnvironment } from './test/proof-env';
import { startQueueRig } from './test/queue-rig';

// One `loraflow serve --database --workers 0`, one `loraflow worker` and a `loraflow emulator` process on loopback,
// over one throwaway PostgreSQL: the serving process is asked to cancel a run the worker is training (decision 0032).

const cluster = useTestCluster();
const { dir } = proofEnvironment();

describe('cancel through a server that executes no runs', () => {
  it('answers 202 at once, and the worker cancels the training at the provider and ends the run cancelled', async () => {
    const database = await cluster().createDatabase();
    const rig = await startQueueRig({
      database,
      cwd: await dir(),
      token: 'cancel-test-token-0123456789',
      workers: 1,
      lease: 1500,
    });
    const runId = await rig.postExample('train-from-images.json');
    await expect.poll(() => rig.count('scenario.models.train')).toBe(1);

    const cancelled = await rig.api(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toEqual({ runId, status: 'running', cancelRequested: true });

    const status = async () =>
      ((await (await rig.api(`/runs/${runId}`)).json()) as { status: string }).status;
    await expect.poll(status).toBe('cancelled');
    expect(rig.workers[0]!.stdout()).toContain(`run ${runId} cancelled`);
    // the worker cancelled the training at the provider, as a cancel in its own process would
    expect(await rig.count('scenario.models.train.action')).toBe(1);
    const text = await (await rig.api(`/runs/${runId}/events`)).text();
    // the stream's closing line carries no event (`data: {}`): only events have a type
    const events = [...text.matchAll(/^data: (.*)$/gm)]
      .map((m) => JSON.parse(m[1]!) as Partial<RunEvent>)
      .filter((e): e is RunEvent => e.type !== undefined);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'cancelled' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

    await rig.close();
  });
});
