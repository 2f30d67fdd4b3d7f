import { createRunStateFold, initialRunState, type RunEvent, type RunStateFold } from '@loraflow/core';
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { OutStream } from './io';

/**
 * How `run` shows progress: redrawn lines on a terminal, one plain line per change otherwise, or NDJSON events.
 *
 * @example
 * const mode: ProgressMode = json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain';
 */
export type ProgressMode = 'tty' | 'plain' | 'json';

/**
 * Receives a run's events and shows them; `close` leaves the final state on screen.
 *
 * @example
 * const view: ProgressView = createProgressView('plain', process.stdout, doc.nodes);
 * handle.subscribe(view.onEvent);
 */
export interface ProgressView {
  onEvent(event: RunEvent): void;
  /** Writes a line outside the live area (e.g. an extra JSON record in `json` mode). */
  emit(record: Record<string, unknown>): void;
  close(): void;
}

interface NodeLine {
  id: string;
  type: string;
  status: string;
  fraction?: number;
  message?: string;
  detail?: Record<string, number>;
  ms?: number;
  error?: string;
}

type Colors = ReturnType<typeof pc.createColors>;

const symbols = (c: Colors): Record<string, string> => ({
  pending: c.dim('·'),
  queued: c.dim('○'),
  running: c.cyan('◐'),
  cached: c.green('↺'),
  succeeded: c.green('✔'),
  failed: c.red('✖'),
  skipped: c.yellow('↷'),
  cancelled: c.yellow('■'),
});

/**
 * Human words for a remaining time in ms: `45 s`, `7 min`, `1 h 5 min`.
 *
 * @example
 * formatDuration(420_000); // '7 min'
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * One node's progress as a short phrase: percentage, queue position and remaining time, else the node's message.
 *
 * @example
 * describeProgress({ fraction: 0.42, detail: { position: 3, remainingTimeMs: 420_000 } }); // '42% · queue 3 · 7 min left'
 */
export function describeProgress(p: {
  fraction?: number;
  message?: string;
  detail?: Record<string, number>;
}): string {
  const parts: string[] = [];
  if (p.fraction !== undefined) parts.push(`${Math.round(p.fraction * 100)}%`);
  const position = p.detail?.position;
  if (position !== undefined && position > 0) parts.push(`queue ${position}`);
  const remaining = p.detail?.remainingTimeMs;
  if (remaining !== undefined) parts.push(`${formatDuration(remaining)} left`);
  // A provider's own message repeats the queue and remaining time (and more loosely): shown only without them.
  if (p.message && position === undefined && remaining === undefined) parts.push(p.message);
  return parts.join(' · ');
}

/**
 * Each node's line, read from core's one run-state fold (decision 0014) rather than a fold of its own: the
 * status, progress and error are the fold's; the line adds the node's type and, once it succeeded, its time.
 */
function createLines(types: ReadonlyMap<string, string>) {
  let fold: RunStateFold | undefined;
  const ids = new Set<string>();
  const ms = new Map<string, number>();
  const lineOf = (id: string): NodeLine => {
    const state = fold?.node(id);
    const line: NodeLine = { id, type: types.get(id) ?? '', status: state?.status ?? 'pending' };
    const progress = state?.progress;
    if (progress) {
      line.fraction = progress.fraction;
      if (progress.message !== undefined) line.message = progress.message;
      if (progress.detail !== undefined) line.detail = progress.detail;
    }
    const took = ms.get(id);
    if (took !== undefined) line.ms = took;
    if (state?.status === 'failed' && state.error) line.error = `${state.error.code}: ${state.error.message}`;
    if (state?.status === 'skipped' && state.because !== undefined) line.error = state.because;
    return line;
  };
  return {
    /** Folds the event in; answers the line of the node it moved, if it moved one. */
    apply(event: RunEvent): NodeLine | undefined {
      fold ??= createRunStateFold(initialRunState(event.runId, event.at));
      const changed = fold.apply(event);
      if (event.type === 'run.started') {
        ids.clear();
        ms.clear();
        for (const id of event.nodeIds) ids.add(id);
        return undefined;
      }
      if (!('nodeId' in event) || !changed) return undefined;
      ids.add(event.nodeId);
      if (event.type === 'node.succeeded') ms.set(event.nodeId, event.ms);
      return lineOf(event.nodeId);
    },
    all: (): NodeLine[] => [...ids].map(lineOf),
  };
}

function lineText(line: NodeLine, width: number, idWidth: number, c: Colors): string {
  let tail = line.status;
  if (line.status === 'running') tail = describeProgress(line) || 'running';
  else if (line.status === 'succeeded' && line.ms !== undefined) tail = `done in ${formatDuration(line.ms)}`;
  else if (line.status === 'cached') tail = 'from cache';
  else if (line.error) tail = `${line.status} — ${line.error}`;
  const typeWidth = idWidth === 0 ? 0 : 18;
  const prefix = 2 + Math.max(idWidth, line.id.length) + 1 + Math.max(typeWidth, line.type.length) + 1;
  // Redrawn lines must not wrap, or log-update erases the wrong rows: cut the tail to the visible width.
  const room = Math.max(8, width - prefix - 1);
  if (tail.length > room) tail = `${tail.slice(0, room - 1)}…`;
  return `${symbols(c)[line.status] ?? ' '} ${line.id.padEnd(idWidth)} ${c.dim(line.type.padEnd(typeWidth))} ${tail}`;
}

/**
 * Creates the progress view of `run` for a mode, writing to `out`.
 *
 * @example
 * const view = createProgressView(process.stdout.isTTY ? 'tty' : 'plain', process.stdout, doc);
 * handle.subscribe(view.onEvent);
 */
export function createProgressView(
  mode: ProgressMode,
  out: OutStream,
  nodes: ReadonlyArray<{ id: string; type: string }>,
): ProgressView {
  const lines = createLines(new Map(nodes.map((n) => [n.id, n.type])));
  const idWidth = Math.min(24, Math.max(4, ...nodes.map((n) => n.id.length)));

  if (mode === 'json') {
    return {
      onEvent: (event) => out.write(`${JSON.stringify(event)}\n`),
      emit: (record) => out.write(`${JSON.stringify(record)}\n`),
      close: () => {},
    };
  }

  if (mode === 'plain') {
    // Piped output is read by people and by grep: no colour codes.
    const plainColors = pc.createColors(false);
    const lastProgress = new Map<string, string>();
    return {
      onEvent(event) {
        if (event.type === 'run.started') {
          lines.apply(event);
          out.write(`run ${event.runId} started: ${event.nodeIds.length} nodes\n`);
          return;
        }
        if (event.type === 'run.finished') {
          const counts = Object.entries(event.counts)
            .filter(([, n]) => n > 0)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ');
          out.write(`run ${event.runId} ${event.status}${counts ? ` (${counts})` : ''}\n`);
          return;
        }
        const line = lines.apply(event);
        if (!line || event.type === 'node.queued') return;
        if (event.type === 'node.progress') {
          // One line per visible change: the percentage step, the queue position or the stage.
          const phrase = describeProgress({
            fraction: Math.floor(event.fraction * 10) / 10,
            ...(event.message !== undefined ? { message: event.message } : {}),
            ...(event.detail?.position !== undefined ? { detail: { position: event.detail.position } } : {}),
          });
          if (lastProgress.get(line.id) === phrase) return;
          lastProgress.set(line.id, phrase);
          out.write(`${line.id} ${describeProgress(line)}\n`);
          return;
        }
        out.write(`${lineText(line, 10_000, 0, plainColors)}\n`);
      },
      emit: () => {},
      close: () => {},
    };
  }

  const stream = out as unknown as NodeJS.WriteStream;
  const update = createLogUpdate(stream, { defaultWidth: 100 });
  let runLine = '';
  const draw = () => {
    const width = out.columns ?? 100;
    update([runLine, ...lines.all().map((l) => lineText(l, width, idWidth, pc))].filter(Boolean).join('\n'));
  };
  // Progress events can come by the hundred: redraw at most ten times a second.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      draw();
    }, 100);
  };
  return {
    onEvent(event) {
      if (event.type === 'run.started') runLine = pc.bold(`run ${event.runId}`);
      if (event.type === 'run.finished') runLine = pc.bold(`run ${event.runId} ${event.status}`);
      lines.apply(event);
      schedule();
    },
    emit: () => {},
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      draw();
      update.done();
    },
  };
}
