import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphDocument } from '@loraflow/core';
import { createRemoteRuntime } from '@loraflow/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { testIo } from './test/collect';
import { startServe } from './test/serving';
import { examplesDir } from './test/spawn-cli';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-files-root-'));
  await mkdir(join(tmp, 'graphs', 'images'), { recursive: true });
  // A secret beside the graphs' folder, and a link inside the folder that points at it.
  await copyFile(join(examplesDir, 'images', 'lantern-1.png'), join(tmp, 'secret.png'));
  await copyFile(join(examplesDir, 'images', 'lantern-1.png'), join(tmp, 'graphs', 'images', 'ok.png'));
  await symlink(join(tmp, 'secret.png'), join(tmp, 'graphs', 'images', 'link.png'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const setOf = (file: string): GraphDocument => ({
  format: 'loraflow.graph',
  version: 1,
  nodes: [{ id: 'set', type: 'training.set', params: { images: [{ file }] } }],
  edges: [],
});

async function runGraph(name: string, file: string): Promise<{ code: number; stderr: string }> {
  const graph = join(tmp, 'graphs', `${name}.json`);
  await writeFile(graph, JSON.stringify(setOf(file)));
  const io = testIo({ cwd: tmp });
  const code = await runCli(['run', graph, '--store', join(tmp, `s-${name}`)], io);
  return { code, stderr: io.stderr.text() };
}

describe("loraflow run reads training images only inside the graph file's folder", () => {
  it('reads a file inside the folder', async () => {
    const { code, stderr } = await runGraph('inside', 'images/ok.png');
    expect(code, stderr).toBe(0);
  });

  it('refuses a path outside, a symlink that leads outside and an absolute path, all alike whether the file exists', async () => {
    const answers = await Promise.all([
      runGraph('parent', '../secret.png'),
      runGraph('missing', '../no-such-file.png'),
      runGraph('link', 'images/link.png'),
      runGraph('absolute', join(tmp, 'secret.png')),
    ]);
    const lines = answers.map((a) => {
      expect(a.code).toBe(1);
      return /^loraflow: set: (.*)$/m.exec(a.stderr)?.[1];
    });
    for (const line of lines) expect(line).toMatch(/^files\.outside-root: /);
    // The existing and the missing file get the same sentence but for the path itself.
    expect(lines[0]?.replaceAll('secret', 'X')).toBe(lines[1]?.replaceAll('no-such-file', 'X'));
  });
});

describe('loraflow serve reads no file unless --files-root names a folder', () => {
  async function serving(
    extra: string[],
    body: (remote: ReturnType<typeof createRemoteRuntime>) => Promise<void>,
  ) {
    const server = await startServe(['--store', join(tmp, `s-serve-${extra.length}`), ...extra], tmp);
    try {
      await body(
        createRemoteRuntime({ baseUrl: server.url, headers: { authorization: `Bearer ${server.token}` } }),
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }

  it('refuses every file source with files.disabled by default', async () => {
    await serving([], async (remote) => {
      const result = await (await remote.run(setOf('graphs/images/ok.png'))).result;
      expect(result.nodes.set?.error?.code).toBe('files.disabled');
      expect(result.nodes.set?.error?.message).toMatch(/--files-root/);
    });
  });

  it('reads inside --files-root and refuses outside it with files.outside-root', async () => {
    await serving(['--files-root', 'graphs'], async (remote) => {
      const ok = await (await remote.run(setOf('images/ok.png'))).result;
      expect(ok.status).toBe('succeeded');
      const out = await (await remote.run(setOf('../secret.png'))).result;
      expect(out.nodes.set?.error?.code).toBe('files.outside-root');
    });
  });
});
