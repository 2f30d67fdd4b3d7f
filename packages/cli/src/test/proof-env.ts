import { rm } from 'node:fs/promises';
import { type RunningEmulator, startEmulator } from '@loraflow/emulator/node';
import { afterEach, expect } from 'vitest';
import { eventually } from './eventually';
import { killStragglers, workspace } from './spawn-cli';

/** Emulated time for proofs that need no frozen moment: fast, yet signed asset URLs (1 emulated hour) stay valid. */
export const FAST = { speed: 1000 } as const;
/** Polls at least every 20 ms of real time, so the fast clock is not waited on with the vendors' real-time hints. */
export const POLL = ['--max-poll', '20'];

/**
 * What a proof test runs on: emulator servers and work folders that are stopped and removed after
 * each test, along with any CLI process a failed assertion left running.
 */
export function proofEnvironment() {
  let servers: RunningEmulator[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    killStragglers();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    async emulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<RunningEmulator> {
      const server = await startEmulator({ port: 0, clock: FAST, ...options });
      servers.push(server);
      return server;
    },
    async dir(): Promise<string> {
      const d = await workspace();
      dirs.push(d);
      return d;
    },
  };
}

/** Requests of exactly this route that reached it and succeeded. */
export const hits = (server: RunningEmulator, route: string) =>
  server.emulator.log
    .entries({ route })
    .filter((e) => e.route === route && e.status >= 200 && e.status < 300);

/** Resolves once a training has started on `server` and the wait node has polled it since. */
export function trainingPolled(server: RunningEmulator): Promise<void> {
  return eventually(() => {
    const train = hits(server, 'scenario.models.train')[0];
    expect(train).toBeDefined();
    expect(
      server.emulator.log.entries({ route: 'scenario.models.get', sinceSeq: train!.seq }).length,
    ).toBeGreaterThan(0);
  });
}
