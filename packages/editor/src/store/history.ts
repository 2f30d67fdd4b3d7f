import { applyPatches, enablePatches, type Patch } from 'immer';

enablePatches();

/** One undoable step: the patches that made it and the ones that take it back. */
export interface HistoryEntry {
  patches: Patch[];
  inverse: Patch[];
  /** Edits with the same key that arrive while the step is open merge into it (a drag, typing). */
  coalesceKey?: string;
  /** When the step was last extended, to close typing steps after a pause. */
  at: number;
  /** A closed step never absorbs another edit, whatever its key. */
  open: boolean;
}

/** Options for `History`. */
export interface HistoryOptions {
  /** Steps kept; older ones fall off. */
  limit?: number;
  /** Typing pauses longer than this start a new step. */
  coalesceMs?: number;
  now?: () => number;
}

/**
 * Undo/redo over immer patches. Edits that share a coalesce key and arrive while the step is open
 * become one step, so a drag or a burst of typing is undone at once.
 *
 * @example
 * const h = new History();
 * h.record(patches, inverse, { coalesceKey: 'param:a:prompt' });
 * doc = h.undo(doc) ?? doc;
 */
export class History<T> {
  private past: HistoryEntry[] = [];
  private future: HistoryEntry[] = [];
  private readonly limit: number;
  private readonly coalesceMs: number;
  private readonly now: () => number;

  constructor(options: HistoryOptions = {}) {
    this.limit = options.limit ?? 200;
    this.coalesceMs = options.coalesceMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Steps recorded (for tests and a host's history panel). */
  get size(): number {
    return this.past.length;
  }

  /** Records an edit, merging it into the open step when the keys match. */
  record(patches: Patch[], inverse: Patch[], options: { coalesceKey?: string } = {}): void {
    if (patches.length === 0) return;
    this.future = [];
    const at = this.now();
    const last = this.past[this.past.length - 1];
    const key = options.coalesceKey;
    if (key !== undefined && last?.open && last.coalesceKey === key && at - last.at <= this.coalesceMs) {
      last.patches = [...last.patches, ...patches];
      // The newest change is undone first, so its inverse goes in front.
      last.inverse = [...inverse, ...last.inverse];
      last.at = at;
      return;
    }
    if (last) last.open = false;
    const entry: HistoryEntry = { patches, inverse, at, open: key !== undefined };
    if (key !== undefined) entry.coalesceKey = key;
    this.past.push(entry);
    if (this.past.length > this.limit) this.past.shift();
  }

  /** Ends the open step, e.g. when a drag stops, so the next edit starts a new one. */
  close(): void {
    const last = this.past[this.past.length - 1];
    if (last) last.open = false;
  }

  /** The state before the last step, or undefined when there is nothing to undo. */
  undo(state: T): T | undefined {
    const entry = this.past.pop();
    if (!entry) return undefined;
    entry.open = false;
    this.future.push(entry);
    return applyPatches(state as object, entry.inverse) as T;
  }

  /** The state after the step last undone, or undefined when there is nothing to redo. */
  redo(state: T): T | undefined {
    const entry = this.future.pop();
    if (!entry) return undefined;
    this.past.push(entry);
    return applyPatches(state as object, entry.patches) as T;
  }

  /** Forgets every step (after a whole document is replaced from outside). */
  clear(): void {
    this.past = [];
    this.future = [];
  }
}
