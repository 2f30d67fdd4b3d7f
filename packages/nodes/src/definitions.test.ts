import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createEngine, createRegistry, type GraphDocument } from '@loraflow/core';
import { build, defaultClientConditions, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';
import { loraPackDefinitions } from './definitions';
import { loraPack } from './pack';

/** A browser build of one entry (zod left out unless asked: the editor ships it), as an editor page would bundle it. */
async function bundle(entry: string, withZod = false): Promise<{ modules: string[]; gzipBytes: number }> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['source', 'browser', ...defaultClientConditions] },
    build: {
      write: false,
      minify: true,
      reportCompressedSize: false,
      lib: { entry: fileURLToPath(new URL(entry, import.meta.url)), formats: ['es'], fileName: 'entry' },
      rollupOptions: { external: withZod ? [] : [/^zod(\/|$)/] },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const chunks = (Array.isArray(out) ? out : [out])
    .flatMap((o) => o.output)
    .filter((f): f is Rollup.OutputChunk => f.type === 'chunk');
  return {
    modules: chunks.flatMap((c) => Object.keys(c.modules)),
    gzipBytes: chunks.reduce((sum, c) => sum + gzipSync(c.code).length, 0),
  };
}

// Provider code (clients, polling, errors), the PNG codec and what it pulls in, and Node's HTTP client.
const heavy = (id: string) =>
  /[\\/]providers[\\/]src[\\/]/.test(id) || /[\\/](fast-png|iobuffer|fflate|undici)[\\/]/.test(id);

describe('the definitions-only entry (@loraflow/nodes/definitions)', () => {
  it('bundles for a browser without provider code, the PNG codec or undici, in at most 16 kB gzipped', async () => {
    const { modules, gzipBytes } = await bundle('./definitions.ts');
    expect(modules.some((id) => id.endsWith('specs/generate.ts'))).toBe(true);
    expect(modules.filter(heavy)).toEqual([]);
    expect(gzipBytes).toBeLessThanOrEqual(16 * 1024);
  });

  it('reaches zod only through zod/mini (and its English messages), never classic zod', async () => {
    const zod = (await bundle('./definitions.ts', true)).modules.filter((id) => /[\\/]zod[\\/]/.test(id));
    expect(zod.some((id) => /[\\/]v4[\\/]mini[\\/]/.test(id))).toBe(true);
    expect(zod.some((id) => /[\\/]locales[\\/]en\.js$/.test(id))).toBe(true);
    expect(zod.filter((id) => /[\\/]v4[\\/]classic[\\/]/.test(id))).toEqual([]);
  });

  it('is told apart from the full entry, which bundles fast-png and the providers’ polling (so the check above can fail)', async () => {
    const { modules } = await bundle('./index.ts');
    expect(modules.filter(heavy)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/providers[\\/]src[\\/]polling\.ts$/),
        expect.stringMatching(/fast-png/),
      ]),
    );
  });

  it('declares the same nodes as loraPack: each runnable node is its spec plus a run (and an estimate, a reuse check)', () => {
    expect(loraPackDefinitions.nodes.map((d) => d.type)).toEqual(loraPack.nodes.map((d) => d.type));
    expect(loraPackDefinitions.types).toBe(loraPack.types);
    for (const [i, full] of loraPack.nodes.entries()) {
      const spec = loraPackDefinitions.nodes[i]!;
      const { run: _run, estimate: _estimate, reusable: _reusable, ...declared } = full;
      expect(Object.keys(spec).sort(), full.type).toEqual([...Object.keys(declared), 'run'].sort());
      for (const [key, value] of Object.entries(declared))
        expect(spec[key as keyof typeof spec], `${full.type}.${key}`).toBe(value);
    }
  });

  it('validates a graph as the full pack does, and refuses to run it with a sentence naming the entry to use', async () => {
    const doc: GraphDocument = {
      format: 'loraflow.graph',
      version: 1,
      nodes: [{ id: 'p', type: 'text.prompt', params: { text: 'a fox' } }],
      edges: [],
    };
    const engine = createEngine({ registry: createRegistry(loraPackDefinitions) });
    expect(engine.validate(doc)).toEqual({ ok: true, issues: [] });
    const result = await engine.run(doc).result;
    expect(result.nodes.p?.error).toMatchObject({
      code: 'node.definition-only',
      message: expect.stringContaining('register loraPack from @loraflow/nodes'),
    });
  });
});
