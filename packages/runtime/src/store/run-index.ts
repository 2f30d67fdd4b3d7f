// The file store's run history in creation order, so listing the newest N runs reads N records, not all of them.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRecord } from './types';

/** What the index needs of the store's files: durable directories and the run records themselves. */
export interface RunIndexFiles {
  ensureDir(dir: string): Promise<void>;
  syncDir(dir: string): Promise<void>;
  /** A run's record by id, or undefined when it is absent or unreadable (reported by the store). */
  readRun(runId: string): Promise<RunRecord | undefined>;
  /** Every readable run record (one full scan, to index a store written before the index existed). */
  scanRuns(): Promise<RunRecord[]>;
}

// Built once for a store whose runs predate the index; its presence says every run has a marker.
const COMPLETE = '.complete';
const DIGITS = 16;
// A listing is reused while the folder's mtime stays put, once read this long after that mtime: any later change
// then bumps the mtime past it, even on file systems with coarse (FAT: 2 s) timestamps.
const SETTLED_MS = 2_500;

/**
 * One empty marker file per run, named `<createdAt, 16 digits>-<runId>`: the names sort newest first without opening
 * anything. A marker is written before the run's first record, so a record never lacks one; a marker whose record
 * never came (a crash in between) is skipped when listing.
 *
 * @example
 * const index = new RunIndex(join(root, 'run-index'), files);
 * await index.add(record.runId, record.createdAt); // before the first putRun of the run
 * const newest = await index.list(20);
 */
export class RunIndex {
  private readonly dir: string;
  private readonly files: RunIndexFiles;
  /** Runs this process has already given a marker: later writes of their record need none. */
  private readonly known = new Set<string>();
  private built: Promise<void> | undefined;
  private listing: { names: string[]; mtimeMs: number; readAt: number } | undefined;

  constructor(dir: string, files: RunIndexFiles) {
    this.dir = dir;
    this.files = files;
  }

  /** Gives a run its marker (once; a marker already there is kept). */
  async add(runId: string, createdAt: number): Promise<void> {
    if (this.known.has(runId)) return;
    // the store's older runs are indexed before its first new one, so `.complete` never hides one of them
    await this.ensureBuilt();
    await this.mark(runId, createdAt);
  }

  private async mark(runId: string, createdAt: number): Promise<void> {
    if (this.known.has(runId)) return;
    await this.files.ensureDir(this.dir);
    await this.touch(markerName(runId, createdAt));
    this.known.add(runId);
  }

  /** The newest `limit` runs (all without a limit) of `tenant` (of anyone without one), newest first. */
  async list(limit?: number, tenant?: string): Promise<RunRecord[]> {
    await this.ensureBuilt();
    const names = await this.newestFirst();
    const out: RunRecord[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      if (limit !== undefined && out.length >= limit) break;
      const runId = name.slice(DIGITS + 1);
      if (seen.has(runId)) continue;
      seen.add(runId);
      const record = await this.files.readRun(runId);
      if (record && (tenant === undefined || record.tenant === tenant)) out.push(record);
    }
    // markers order by creation; records are the truth when a rewrite moved createdAt (it never should)
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The markers' names, newest first: read again only when the folder may have changed since the last read. */
  private async newestFirst(): Promise<string[]> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.dir)).mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const kept = this.listing;
    if (kept && kept.mtimeMs === mtimeMs && kept.readAt - mtimeMs > SETTLED_MS) return kept.names;
    const readAt = Date.now();
    const names = (await readdir(this.dir))
      .filter((n) => n.length > DIGITS + 1 && n.charAt(DIGITS) === '-')
      .sort()
      .reverse();
    this.listing = { names, mtimeMs, readAt };
    return names;
  }

  private ensureBuilt(): Promise<void> {
    this.built ??= this.build().catch((error) => {
      this.built = undefined;
      throw error;
    });
    return this.built;
  }

  /** Indexes the runs of a store written before the index: one full scan, once per store. */
  private async build(): Promise<void> {
    try {
      await open(join(this.dir, COMPLETE), 'r').then((h) => h.close());
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await this.files.ensureDir(this.dir);
    for (const record of await this.files.scanRuns()) await this.mark(record.runId, record.createdAt);
    await this.touch(COMPLETE);
  }

  private async touch(name: string): Promise<void> {
    this.listing = undefined;
    try {
      await (await open(join(this.dir, name), 'wx')).close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw error;
    }
    await this.files.syncDir(this.dir);
  }
}

function markerName(runId: string, createdAt: number): string {
  const at = Math.max(0, Math.min(Math.floor(createdAt), 10 ** DIGITS - 1));
  return `${String(at).padStart(DIGITS, '0')}-${runId}`;
}
