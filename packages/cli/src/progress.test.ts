import { stripVTControlCharacters } from 'node:util';
import type { RunEvent } from '@loraflow/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgressView, describeProgress, formatDuration } from './progress';
import { collector } from './test/collect';

const nodes = [
  { id: 'train', type: 'lora.train' },
  { id: 'wait', type: 'lora.wait' },
];

let seq = 0;
const ev = (e: Record<string, unknown>) => ({ seq: ++seq, runId: 'run_1', at: 0, ...e }) as RunEvent;

const training = [
  ev({ type: 'run.started', nodeIds: ['train', 'wait'] }),
  ev({ type: 'node.cached', nodeId: 'train', key: 'k1' }),
  ev({ type: 'node.started', nodeId: 'wait', key: 'k2' }),
  ev({
    type: 'node.progress',
    nodeId: 'wait',
    fraction: 0,
    message: 'queued',
    detail: { position: 3, remainingTimeMs: 840_000 },
  }),
  ev({ type: 'node.progress', nodeId: 'wait', fraction: 0.01, message: 'queued', detail: { position: 3 } }),
  ev({
    type: 'node.progress',
    nodeId: 'wait',
    fraction: 0.42,
    message: 'training',
    detail: { remainingTimeMs: 420_000 },
  }),
  ev({ type: 'node.succeeded', nodeId: 'wait', key: 'k2', ms: 900_000 }),
  ev({ type: 'run.finished', status: 'succeeded', counts: { cached: 1, succeeded: 1 } }),
];

afterEach(() => {
  vi.useRealTimers();
});

describe('progress of a run', () => {
  it('phrases queue position, progress and remaining time', () => {
    expect(describeProgress({ fraction: 0.42, detail: { position: 3, remainingTimeMs: 420_000 } })).toBe(
      '42% · queue 3 · 7 min left',
    );
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
  });

  it('prints one plain line per visible change when stdout is not a terminal', () => {
    const out = collector(false);
    const view = createProgressView('plain', out, nodes);
    for (const e of training) view.onEvent(e);
    view.close();
    expect(out.lines()).toEqual([
      'run run_1 started: 2 nodes',
      '↺ train lora.train from cache',
      '◐ wait lora.wait running',
      'wait 0% · queue 3 · 14 min left',
      'wait 42% · 7 min left',
      '✔ wait lora.wait done in 15 min',
      'run run_1 succeeded (1 cached, 1 succeeded)',
    ]);
  });

  it('writes each event as one JSON line with --json', () => {
    const out = collector(false);
    const view = createProgressView('json', out, nodes);
    for (const e of training) view.onEvent(e);
    expect(out.lines().map((l) => JSON.parse(l))).toEqual(training);
  });

  it('redraws one line per node on a terminal, at most ten times a second', () => {
    vi.useFakeTimers();
    const out = Object.assign(collector(true), { columns: 120 });
    const view = createProgressView('tty', out, nodes);
    for (const e of training.slice(0, 6)) view.onEvent(e);
    expect(out.text()).toBe('');
    vi.advanceTimersByTime(100);
    const frame = out.text();
    expect(frame).toContain('42% · 7 min left');
    expect(frame).toContain('from cache');
    for (const e of training.slice(6)) view.onEvent(e);
    view.close();
    expect(out.text().slice(frame.length)).toContain('run run_1 succeeded');
  });

  it('cuts a long line to the terminal width so redrawing never wraps', () => {
    const out = Object.assign(collector(true), { columns: 60 });
    const view = createProgressView('tty', out, nodes);
    view.onEvent(ev({ type: 'run.started', nodeIds: ['train', 'wait'] }));
    view.onEvent(
      ev({
        type: 'node.failed',
        nodeId: 'train',
        error: { code: 'training.failed', message: 'x'.repeat(300) },
      }),
    );
    view.close();
    const visible = stripVTControlCharacters(out.text())
      .split('\n')
      .filter((l) => l.includes('train'));
    expect(visible.length).toBeGreaterThan(0);
    for (const line of visible) expect(line.length).toBeLessThanOrEqual(60);
    expect(visible.join('')).toContain('…');
  });
});
