import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-limits-'));
  // Built as text: 10,000 levels of params, and a number JSON can only parse as Infinity.
  const deep = `${'{"k":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
  const graph = (extra: string) =>
    `{"format":"loraflow.graph","version":1,"nodes":[{"id":"p","type":"text.prompt","params":{"text":"a fox","extra":${extra}}}],"edges":[]}`;
  await writeFile(join(tmp, 'deep.json'), graph(deep));
  await writeFile(join(tmp, 'infinite.json'), graph('1e999'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('validate, run and estimate give one answer to a document too deep or not finite', () => {
  for (const [file, code] of [
    ['deep.json', 'document.too-deep'],
    ['infinite.json', 'document.not-finite'],
  ] as const) {
    it(`answers ${code} for ${file} from every command, and starts no run`, async () => {
      for (const command of ['validate', 'run', 'estimate']) {
        const io = testIo({ cwd: tmp });
        const store = command === 'validate' ? [] : ['--store', join(tmp, 'store')];
        const exit = await runCli([command, file, ...store], io);
        const said = io.stdout.text() + io.stderr.text();
        expect(exit, `${command}: ${said}`).toBe(1);
        expect(said, command).toContain(code);
        expect(said, command).toMatch(/nodes\.0\.params\.extra/);
        expect(said, command).not.toMatch(/internal|Maximum call stack/);
        expect(said, command).not.toMatch(/ started /);
      }
    });
  }
});

describe('node ids that are also Object.prototype names', () => {
  it('appear in report.json like any other id', async () => {
    const ids = ['__proto__', 'constructor', 'toString'];
    const graph = {
      format: 'loraflow.graph',
      version: 1,
      nodes: ids.map((id) => ({ id, type: 'text.prompt', params: { text: id } })),
      edges: [],
    };
    await writeFile(join(tmp, 'ids.json'), JSON.stringify(graph));
    const io = testIo({ cwd: tmp });
    const out = join(tmp, 'ids-out');
    expect(
      await runCli(['run', 'ids.json', '--store', join(tmp, 'store'), '--out', out], io),
      io.stderr.text(),
    ).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { nodes: object };
    expect(Object.keys(report.nodes).sort()).toEqual([...ids].sort());
  });
});
