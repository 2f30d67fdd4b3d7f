import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { parseRecordedLines, type RecordedRequest } from './persist';

// Held for one write (a catch-up, an append, the emulator's answer): milliseconds. A holder killed inside it leaves
// a lock folder that is stale after this long and taken over.
const LOCK = {
  stale: 5_000,
  realpath: false,
  retries: { retries: 400, minTimeout: 2, maxTimeout: 50, factor: 1.3, randomize: true },
  onCompromised: () => {},
} as const;

/**
 * The persistence file as a log shared by every emulator that opens it (two `loraflow run` on one store): each reads
 * the lines others appended since it last looked and replays them before answering, and appends its own writes under
 * a lock, after catching up. So every emulator applies the same writes in the file's order, their ids agree, and a
 * later replay of the file rebuilds the same state.
 */
export class SharedStateFile {
  /** Bytes of the file this emulator has applied (its own appends included). */
  private offset = 0;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** The whole lines appended since the last read (a line still being written is left for next time). */
  readNew(): RecordedRequest[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      // emptied by a reset: everything in it now is new
      if (size < this.offset) this.offset = 0;
      if (size === this.offset) return [];
      const bytes = Buffer.alloc(size - this.offset);
      const read = readSync(fd, bytes, 0, bytes.length, this.offset);
      const end = bytes.subarray(0, read).lastIndexOf(0x0a);
      if (end < 0) return [];
      this.offset += end + 1;
      return parseRecordedLines(bytes.subarray(0, end + 1).toString('utf8')).requests;
    } finally {
      closeSync(fd);
    }
  }

  /** After an append of our own, made while holding the lock and caught up: the file's end is ours. */
  appended(): void {
    this.offset = statSync(this.file).size;
  }

  /** After a reset emptied the file. */
  truncated(): void {
    this.offset = 0;
  }

  /** Takes the file's write lock; answers its release. */
  lock(): Promise<() => Promise<void>> {
    return lockfile.lock(this.file, LOCK);
  }
}
