import { readdir } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../test/temp-dir';
import { createFileStore } from './file';

// A full disk, injected where the bytes are written: a temporary file's write fails with ENOSPC.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    if (!disk.full || !String(args[0]).endsWith('.tmp')) return handle;
    return new Proxy(handle, {
      get(target, name, receiver) {
        if (name === 'writeFile')
          return () =>
            Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return { ...real, default: { ...real, open }, open };
});

describe('file store on a full disk', () => {
  it('fails the write and leaves no temporary file behind, so a full disk does not stay full', async () => {
    const dir = await tempDir();
    const store = createFileStore({ dir });
    await store.put('kept', { key: 'kept', nodeType: 'n', typeVersion: 1, outputs: { v: 1 }, createdAt: 1 });
    disk.full = true;
    try {
      await expect(store.putBlob(new Uint8Array(1024), 'image/png')).rejects.toMatchObject({
        code: 'ENOSPC',
      });
      await expect(
        store.put('lost', { key: 'lost', nodeType: 'n', typeVersion: 1, outputs: { v: 2 }, createdAt: 1 }),
      ).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      disk.full = false;
    }
    const left = (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));
    expect(left).toEqual([]);
    expect(await store.get('kept')).toMatchObject({ outputs: { v: 1 } });
    expect(await store.get('lost')).toBeUndefined();
  });
});
