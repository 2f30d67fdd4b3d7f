// Status requests per 15-minute (emulated) ModelsLab training, with webhooks on (serve --public-url) and off: the
// runtime's handler on loopback receives the emulator's callbacks; polls sleep on the emulator's clock, a second at a
// time, so a callback due mid-pause cuts it. One JSON line. Run: corepack pnpm --filter @loraflow/cli bench:webhooks
import { startWebhookRig, trainingGraph } from '../src/test/webhook-rig';

const trainingMs = 15 * 60_000;
const result: Record<string, unknown> = {
  bench: 'webhooks-status-requests',
  trainingMinutes: trainingMs / 60_000,
};
for (const webhooks of [false, true]) {
  const rig = await startWebhookRig({ webhooks, sleep: 'stepped', trainingMs });
  try {
    const started = performance.now();
    const handle = await rig.runtime.run(trainingGraph());
    const { status } = await handle.result;
    if (status !== 'succeeded') throw new Error(`the training run ended ${status}`);
    const key = webhooks ? 'on' : 'off';
    const log = rig.emulator.emulator.log;
    const createdAt = log.entries({ route: 'modelslab.training.create' })[0]?.at ?? 0;
    const lastRead = log.entries({ route: 'modelslab.training.status' }).at(-1)?.at ?? 0;
    result[key] = {
      statusRequests: rig.statusReads(),
      callbacks: rig.emulator.emulator.webhooks.deliveries().length,
      // emulated time from the training being ready to the read that saw it
      seenAfterReadyMs: lastRead - (createdAt + trainingMs),
      pollsMs: rig.sleeps,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await rig.close();
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
