// Request-overhead benchmark: what one client call costs on loopback over a bare fetch of the same
// answer (URL building, auth, validation of arguments and answer, the retry loop, redaction setup).
// Prints one JSON line: { case, calls, clientMedianUs, fetchMedianUs, overheadMedianUs }.

import { defaultFetch } from '#transport';
import { ScenarioClient } from '../src/index';
import { startScriptedServer } from '../src/test/server';

const MODEL = {
  id: 'model_bench',
  type: 'flux.1-lora',
  status: 'trained',
  privacy: 'private',
  source: 'scenario',
  capabilities: ['txt2img'],
  collectionIds: [],
  exampleAssetIds: [],
  tags: [],
  trainingImagesNumber: 5,
  custom: false,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main() {
  const server = await startScriptedServer(() => ({ status: 200, body: { model: MODEL } }));
  try {
    const client = new ScenarioClient({
      baseUrl: `${server.url}/v1`,
      apiKey: 'api_bench',
      apiSecret: 'secret',
    });
    const fetch = defaultFetch();
    const auth = `Basic ${btoa('api_bench:secret')}`;
    const viaClient = () => client.getModel('model_bench');
    const viaFetch = async () => {
      const res = await fetch(`${server.url}/v1/models/model_bench`, {
        headers: { accept: 'application/json', authorization: auth },
      });
      return res.json();
    };
    const time = async (call: () => Promise<unknown>) => {
      const t = performance.now();
      await call();
      return (performance.now() - t) * 1000;
    };
    for (let i = 0; i < 300; i++) await Promise.all([viaClient(), viaFetch()]);
    const clientUs: number[] = [];
    const fetchUs: number[] = [];
    const calls = Number(process.env.BENCH_CALLS ?? 3000);
    // Interleaved, so a busy machine slows both sides alike.
    for (let i = 0; i < calls; i++) {
      clientUs.push(await time(viaClient));
      fetchUs.push(await time(viaFetch));
    }
    const line = {
      case: 'scenario.getModel.loopback',
      calls,
      clientMedianUs: Math.round(median(clientUs)),
      fetchMedianUs: Math.round(median(fetchUs)),
      overheadMedianUs: Math.round(median(clientUs.map((c, i) => c - (fetchUs[i] as number)))),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await server.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
