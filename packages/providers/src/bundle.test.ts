import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));

async function bundle(conditions: string[]): Promise<string> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['source', ...conditions] },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['es'], fileName: 'providers' },
      // node: built-ins stay imports, so the browser check below sees any that leak in.
      rollupOptions: { external: [/^zod/, /^undici/, /^node:/] },
    },
  })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
  const outputs = Array.isArray(out) ? out : [out];
  return outputs
    .flatMap((o) => o.output)
    .map((c) => ('code' in c ? c.code : ''))
    .join('\n');
}

describe('browser bundle', () => {
  it('uses the global fetch transport and contains no undici or node: imports', async () => {
    const code = await bundle(['browser']);
    expect(code).toContain('globalThis.fetch');
    expect(code).not.toMatch(/undici/);
    expect(code).not.toMatch(/from ["']node:/);
  });

  it('picks the undici pool when the node condition is set (the check above can fail)', async () => {
    expect(await bundle(['node'])).toMatch(/from ["']undici["']/);
  });
});
