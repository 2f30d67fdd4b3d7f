import { createRegistry, type NodePack } from '@loraflow/core';
import {
  createRecordingFetch,
  EMULATOR_CREDENTIALS,
  type Emulator,
  emulatedSleep,
  restoreEmulator,
} from '@loraflow/emulator';
import { createLoraModelSources, loraPack } from '@loraflow/nodes';
import { ModelsLabClient, readCapped, ScenarioClient } from '@loraflow/providers';
import {
  createIndexedDbStore,
  createMemoryStore,
  createRuntime,
  type Runtime,
  type RuntimeStore,
} from '@loraflow/runtime';
import { z } from 'zod';
import { type EmulatorStateStore, openEmulatorState } from './emulator-state';

export { type EmulatorStateStore, openEmulatorState } from './emulator-state';

const optionsSchema = z.looseObject({
  speed: z.number().finite().positive('must be a positive number').optional(),
  seed: z.number().int().optional(),
  persist: z.union([z.string().min(1, 'must name a database'), z.literal(false)]).optional(),
  filesBaseUrl: z.string().min(1).optional(),
  packs: z.array(z.looseObject({ nodes: z.array(z.unknown()) })).optional(),
});

/** The origin the page's providers are reached at; nothing listens there, the emulator answers in the page. */
export const IN_PAGE_ORIGIN = 'http://emulator.invalid';

/**
 * Options of {@link createBrowserRuntime}.
 *
 * @example
 * const options: BrowserRuntimeOptions = { speed: 600, persist: 'my-app-loraflow', filesBaseUrl: '/examples/' };
 */
export interface BrowserRuntimeOptions {
  /** Emulated time runs this many times faster than real time (default 600: a 15-minute training takes 1.5 s). */
  speed?: number;
  /** Seeds the emulator's ids and pictures (default 7). */
  seed?: number;
  /**
   * IndexedDB database name for the run cache, history and the emulator's state, so a reload loses nothing
   * (default `loraflow`); `false` keeps everything in memory for the life of the page.
   */
  persist?: string | false;
  /**
   * Where `training.set` file sources are fetched from, as a URL prefix (e.g. `/examples/`); paths may not
   * climb out of it. Without it, file sources are refused.
   */
  filesBaseUrl?: string;
  /** Node packs (default: the LoRA pack). */
  packs?: NodePack[];
}

/**
 * What {@link createBrowserRuntime} gives: the runtime to hand the editor, the emulator behind it (its
 * clock, controls and request log) and `close` for tests and single-page apps that tear down.
 */
export interface BrowserRuntime {
  runtime: Runtime;
  emulator: Emulator;
  store: RuntimeStore;
  close(): Promise<void>;
}

/**
 * The whole stack in a browser tab in one call: the real runtime and LoRA pack, with Scenario and
 * ModelsLab answered by the emulator inside the page (no network, no keys), its polling and files
 * wired to the emulator's clock, and — unless `persist: false` — cache, run history and the
 * emulator's own state in IndexedDB, so a LoRA trained before a reload is still cached and still
 * exists at the (emulated) provider after it.
 *
 * @example
 * import { createBrowserRuntime } from '@loraflow/browser';
 * const { runtime } = await createBrowserRuntime({ filesBaseUrl: '/examples/' });
 * root.render(<LoraflowEditor packs={[loraPack]} runtime={runtime} />);
 */
export async function createBrowserRuntime(o: BrowserRuntimeOptions = {}): Promise<BrowserRuntime> {
  const checked = optionsSchema.safeParse(o);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new TypeError(
      `createBrowserRuntime: "${issue.path.join('.') || 'options'}" ${issue.message.replace(/\.$/, '')}.`,
    );
  }
  const speed = o.speed ?? 600;
  const persist = o.persist ?? 'loraflow';
  const state: EmulatorStateStore | undefined =
    persist === false ? undefined : await openEmulatorState(`${persist}-emulator`);
  const emulator = await restoreEmulator(state ? await state.load() : [], {
    clock: { speed },
    publicUrl: IN_PAGE_ORIGIN,
    seed: o.seed ?? 7,
  });
  const store = persist === false ? createMemoryStore() : createIndexedDbStore({ name: persist });
  const runtime = wireInPageRuntime(emulator, {
    store,
    speed,
    ...(state ? { answer: createRecordingFetch(emulator, state) } : {}),
    ...(o.filesBaseUrl !== undefined ? { filesBaseUrl: o.filesBaseUrl } : {}),
    ...(o.packs ? { packs: o.packs } : {}),
  });
  return {
    runtime,
    emulator,
    store,
    async close() {
      state?.close();
      await store.close?.();
    },
  };
}

/**
 * The synchronous half of {@link createBrowserRuntime}: a runtime whose providers are `emulator`, already
 * created (for a host, or a story, that builds and keeps its own emulator). `answer` is how the emulator
 * answers (default its own `fetch`; a recording one persists its state).
 *
 * @example
 * const emulator = createEmulator({ clock: { speed: 600 }, publicUrl: IN_PAGE_ORIGIN });
 * const runtime = wireInPageRuntime(emulator, { store: createMemoryStore(), speed: 600 });
 */
export function wireInPageRuntime(
  emulator: Emulator,
  o: {
    store: RuntimeStore;
    speed: number;
    answer?: (request: Request) => Promise<Response>;
    filesBaseUrl?: string;
    packs?: NodePack[];
  },
): Runtime {
  const answer = o.answer ?? ((r: Request) => emulator.fetch(r));
  // The providers' clients and every image download reach the emulator through this fetch.
  const routed: typeof fetch = (input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(`${IN_PAGE_ORIGIN}/`) ? answer(request) : fetch(request);
  };
  // The in-page origin is not a network address: downloads from it are answered by the emulator, never fetched.
  const download = { allowOrigins: [IN_PAGE_ORIGIN] };
  const scenario = new ScenarioClient({
    baseUrl: `${IN_PAGE_ORIGIN}/scenario/v1`,
    apiKey: EMULATOR_CREDENTIALS.scenario.key,
    apiSecret: EMULATOR_CREDENTIALS.scenario.secret,
    fetch: routed,
    download,
  });
  const modelslab = new ModelsLabClient({
    baseUrl: `${IN_PAGE_ORIGIN}/modelslab/api`,
    apiKey: EMULATOR_CREDENTIALS.modelslab.key,
    fetch: routed,
    download,
  });
  return createRuntime({
    registry: createRegistry(...(o.packs ?? [loraPack])),
    store: o.store,
    services: {
      scenario,
      modelslab,
      files: filesFrom(o.filesBaseUrl),
      fetch: routed,
      downloads: download,
      // Polls wait in emulated time, so a vendor's 30 s hint is a few real milliseconds.
      polling: { sleep: emulatedSleep(o.speed), now: () => emulator.clock.now() },
    },
    secrets: [EMULATOR_CREDENTIALS.scenario.secret, EMULATOR_CREDENTIALS.modelslab.key],
    models: createLoraModelSources({ scenario, modelslab }),
  });
}

/** Reads file sources under one URL prefix only: a graph cannot name a path outside it. */
function filesFrom(base: string | undefined) {
  return {
    async read(path: string): Promise<Uint8Array> {
      if (base === undefined)
        throw Object.assign(
          new Error('This page reads no files: pass filesBaseUrl to createBrowserRuntime.'),
          {
            code: 'files.disabled',
          },
        );
      const parts = path.split('/').filter((p) => p !== '' && p !== '.');
      if (parts.some((p) => p === '..' || p.includes('\\') || p.includes(':')))
        throw Object.assign(new Error(`The file "${path}" is outside the page's files.`), {
          code: 'files.outside-root',
        });
      const url = `${base.replace(/\/+$/, '')}/${parts.map(encodeURIComponent).join('/')}`;
      // bounded as the server's rooted files are: a size cap enforced while reading, and a time limit
      const response = await fetch(url, { signal: AbortSignal.timeout(FILE_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`The file "${path}" could not be read (${response.status}).`);
      return readFile(response, path);
    },
  };
}

/** The most a page reads for one file source, as on the server (`files.too-large` past it). */
export const MAX_PAGE_FILE_BYTES = 64 * 1024 * 1024;
const FILE_TIMEOUT_MS = 30_000;

async function readFile(response: Response, path: string): Promise<Uint8Array> {
  const tooLarge = () =>
    Object.assign(new Error(`The file "${path}" is larger than ${MAX_PAGE_FILE_BYTES} bytes.`), {
      code: 'files.too-large',
    });
  if (Number(response.headers.get('content-length') ?? 0) > MAX_PAGE_FILE_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  // the providers' capped read: the same stream walk their downloads use
  const bytes = await readCapped(response, MAX_PAGE_FILE_BYTES);
  if (bytes === undefined) throw tooLarge();
  return bytes;
}
