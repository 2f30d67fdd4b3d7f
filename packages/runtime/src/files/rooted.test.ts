import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootedFiles, FilesError } from './rooted';

let tmp: string;
let root: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'loraflow-rooted-'));
  root = join(tmp, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'sub', 'a.bin'), new Uint8Array([1, 2, 3]));
  await writeFile(join(root, 'big.bin'), new Uint8Array(2048));
  await writeFile(join(tmp, 'outside.bin'), new Uint8Array([9]));
  await symlink('/dev/zero', join(root, 'zero'));
  await symlink(join(tmp, 'outside.bin'), join(root, 'escape.bin'));
  await symlink(join(root, 'sub', 'a.bin'), join(root, 'inner-link.bin'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<FilesError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(FilesError);
  return e as FilesError;
}

describe('createRootedFiles', () => {
  it('reads regular files inside the root, through symlinks that stay inside', async () => {
    const files = createRootedFiles({ root });
    expect([...(await files.read('sub/a.bin'))]).toEqual([1, 2, 3]);
    expect([...(await files.read('inner-link.bin'))]).toEqual([1, 2, 3]);
    expect([...(await files.read(join(root, 'sub', 'a.bin')))]).toEqual([1, 2, 3]);
  });

  it('refuses any path that leads outside the root, with one answer whether or not the file exists', async () => {
    const files = createRootedFiles({ root });
    const leaked = await refusal(files.read('escape.bin'));
    expect(leaked.code).toBe('files.outside-root');
    const exists = await refusal(files.read('../outside.bin'));
    const missing = await refusal(files.read('../outside.nope'));
    expect(exists.code).toBe('files.outside-root');
    expect(missing.message.replace('outside.nope', 'outside.bin')).toBe(exists.message);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('..', 'sub', '.', 'x'), { minLength: 1, maxLength: 6 }),
        async (parts) => {
          const path = parts.join('/');
          const climbs = parts.reduce(
            (depth, p) => (depth < 0 ? depth : p === '..' ? depth - 1 : p === '.' ? depth : depth + 1),
            0,
          );
          const e = await files.read(path).then(
            () => undefined,
            (x: unknown) => x,
          );
          expect(e).toBeInstanceOf(FilesError);
          if (climbs < 0) expect((e as FilesError).code).toBe('files.outside-root');
          else expect((e as FilesError).code).not.toBe('files.outside-root');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never reads a device: /dev/zero behind a symlink is outside, and as a root it is not a regular file', async () => {
    expect((await refusal(createRootedFiles({ root }).read('zero'))).code).toBe('files.outside-root');
    const dev = createRootedFiles({ root: '/dev' });
    expect((await refusal(dev.read('zero'))).code).toBe('files.not-a-file');
  });

  it('refuses a file larger than maxBytes without reading it', async () => {
    const files = createRootedFiles({ root, maxBytes: 1024 });
    const e = await refusal(files.read('big.bin'));
    expect(e).toMatchObject({ code: 'files.too-large' });
    expect(e.message).toMatch(/1024 bytes/);
  });

  it('refuses every read when no root is given', async () => {
    const e = await refusal(createRootedFiles({ root: undefined }).read('sub/a.bin'));
    expect(e.code).toBe('files.disabled');
  });
});
