import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The codes a rooted files service refuses a read with.
 *
 * @example
 * if (error instanceof FilesError && error.code === FILES_CODES.outsideRoot) explainRoot();
 */
export const FILES_CODES = {
  disabled: 'files.disabled',
  outsideRoot: 'files.outside-root',
  notFound: 'files.not-found',
  notAFile: 'files.not-a-file',
  tooLarge: 'files.too-large',
  unreadable: 'files.unreadable',
} as const;

/**
 * A refused or failed file read: a stable `code` from {@link FILES_CODES} and a sentence that never
 * says whether a path outside the root exists.
 *
 * @example
 * try { await files.read('../etc/passwd'); } catch (e) { if (e instanceof FilesError) e.code; }
 */
export class FilesError extends Error {
  static {
    FilesError.prototype.name = 'FilesError';
  }
  readonly code: (typeof FILES_CODES)[keyof typeof FILES_CODES];
  constructor(code: FilesError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Options of {@link createRootedFiles}.
 *
 * @example
 * const o: RootedFilesOptions = { root: '/srv/graphs', maxBytes: 16 * 1024 * 1024 };
 */
export interface RootedFilesOptions {
  /** The folder every read must stay inside after symlinks are resolved; undefined refuses every read (`files.disabled`). */
  root: string | undefined;
  /** Largest file read, in bytes (default 64 MiB). */
  maxBytes?: number;
}

/**
 * A reader of files named by an untrusted graph.
 *
 * @example
 * const bytes = await files.read('images/fox-1.png', { signal });
 */
export interface RootedFiles {
  read(path: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
}

/** The default of {@link RootedFilesOptions.maxBytes}: 64 MiB, the download cap. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

const inside = (root: string, full: string): boolean => {
  const rel = relative(root, full);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/**
 * Reads files only inside `root`: the path is resolved against the root, then with `realpath`
 * (symlinks included) and must still be inside it; only regular files of at most `maxBytes` are
 * read, and never more than that many bytes (a device or a growing file cannot fill memory).
 * Refusals are {@link FilesError}s; one outside the root says nothing about whether the file exists.
 *
 * @example
 * import { createRootedFiles } from '@loraflow/runtime/node';
 * const files = createRootedFiles({ root: 'examples', maxBytes: 16 * 1024 * 1024 });
 * createRuntime({ registry, store, services: { files } });
 */
export function createRootedFiles(options: RootedFilesOptions): RootedFiles {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  let root: Promise<string> | undefined;
  const outside = (path: string) =>
    new FilesError(FILES_CODES.outsideRoot, `"${path}" is outside the folder files may be read from.`);
  return {
    async read(path, o) {
      if (options.root === undefined) {
        throw new FilesError(
          FILES_CODES.disabled,
          'Reading files is turned off here: give the image as a URL or a data URL, or start the server with --files-root <dir>.',
        );
      }
      o?.signal?.throwIfAborted();
      const given = options.root;
      root ??= realpath(resolve(given));
      const base = await root;
      const lexical = resolve(base, path);
      // Checked before the disk is asked, so a path outside says nothing about what exists there.
      if (!inside(base, lexical)) throw outside(path);
      let real: string;
      try {
        real = await realpath(lexical);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          throw new FilesError(
            FILES_CODES.notFound,
            `There is no file "${path}" in the folder files are read from.`,
          );
        }
        throw new FilesError(FILES_CODES.unreadable, `"${path}" cannot be read (${code ?? 'error'}).`);
      }
      if (!inside(base, real)) throw outside(path);
      return readCapped(real, path, maxBytes, o?.signal);
    },
  };
}

async function readCapped(
  real: string,
  shown: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  // O_NOFOLLOW: a symlink swapped in after realpath is refused rather than followed; O_NONBLOCK: a FIFO cannot hang the open.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(real, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FilesError(FILES_CODES.unreadable, `"${shown}" cannot be read (${code ?? 'error'}).`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FilesError(FILES_CODES.notAFile, `"${shown}" is not a regular file.`);
    const tooLarge = () =>
      new FilesError(
        FILES_CODES.tooLarge,
        `"${shown}" is larger than ${maxBytes} bytes, the most a file may be.`,
      );
    if (info.size > maxBytes) throw tooLarge();
    // One byte more than the file's size is asked for, so a file that grows after stat is seen growing.
    let buffer = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (total === buffer.byteLength) {
        if (total > maxBytes) throw tooLarge();
        const bigger = new Uint8Array(Math.min(buffer.byteLength * 2, maxBytes + 1));
        bigger.set(buffer);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, total, buffer.byteLength - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) throw tooLarge();
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}
