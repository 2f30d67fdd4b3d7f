import { Hono } from 'hono';
import { z } from 'zod';
import { type ClockMode, createClock, type EmulatorClock } from './clock';
import type { Core, Env, RequestInfo, Timings } from './context';
import { createControlRoutes } from './control';
import { createFaults, type FaultRule, type Faults } from './faults';
import { createFileStore } from './files';
import { FILES_API } from './files-routes';
import { createModelsLabRoutes, MODELSLAB_API } from './modelslab/routes';
import {
  createModelsLabState,
  failModelsLabTraining as failModelsLab,
  type ModelsLabState,
} from './modelslab/state';
import { createRandom, randomAlnum } from './random';
import { createRequestLog, type LogEntry, type RequestLog } from './request-log';
import { mountResources } from './route-kit';
import { routeNameFor } from './routes-table';
import { createScenarioRoutes, failTraining as failScenarioTraining, SCENARIO_API } from './scenario/routes';
import { createScenarioState, modelStatus as modelStatusAt, type ScenarioState } from './scenario/state';
import { json } from './vendor-errors';
import { createWebhookDispatcher, type Webhooks } from './webhooks';

/**
 * The credentials an emulator accepts when none are configured. They are fake and only open the emulator.
 *
 * @example
 * const client = new ScenarioClient({ baseUrl: `${url}/scenario/v1`,
 *   apiKey: EMULATOR_CREDENTIALS.scenario.key, apiSecret: EMULATOR_CREDENTIALS.scenario.secret });
 */
export const EMULATOR_CREDENTIALS = Object.freeze({
  scenario: Object.freeze({ key: 'api_emulator', secret: 'emulator-secret' }),
  modelslab: Object.freeze({ key: 'emulator-modelslab-key' }),
});

/**
 * Default timings: a 15-minute training, a 13-second ModelsLab eta (the vendor's example).
 *
 * @example
 * createEmulator({ trainingMs: DEFAULT_TIMINGS.trainingMs / 15 }); // one-minute trainings
 */
export const DEFAULT_TIMINGS: Readonly<Timings> = Object.freeze({
  trainingMs: 15 * 60_000,
  compositionMs: 5_000,
  generationMs: 10_000,
  modelslabEtaMs: 13_000,
  modelslabTrainingMs: 20 * 60_000,
  modelslabQueueLimit: 5,
});

const timingsSchema = z
  .object({
    trainingMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600_000),
    compositionMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
    generationMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
    modelslabEtaMs: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600_000),
    modelslabTrainingMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600_000),
    modelslabQueueLimit: z.number().int().min(1).max(10_000),
  })
  .partial()
  .strict();

const optionsSchema = z
  .object({
    clock: z
      .union([
        z.literal('real'),
        z.literal('manual'),
        z.object({ speed: z.number().positive().finite() }).strict(),
      ])
      .optional(),
    seed: z.number().int().optional(),
    credentials: z
      .object({
        scenario: z
          .array(
            z
              .object({
                key: z.string().min(1),
                secret: z.string().min(1),
                projectId: z
                  .string()
                  .regex(/^proj_[A-Za-z0-9_-]+$/)
                  .optional(),
              })
              .strict(),
          )
          .optional(),
        modelslab: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    trainingMs: z.number().int().min(0).optional(),
    timings: timingsSchema.optional(),
    publicUrl: z.url().optional(),
    faults: z.array(z.unknown()).optional(),
  })
  .strict();

/**
 * Options of {@link createEmulator}.
 *
 * @example
 * const options: EmulatorOptions = { clock: 'manual', seed: 7, faults: [{ route: '**', rate: 0.1, kind: '5xx' }] };
 */
export interface EmulatorOptions {
  /** `real` (default), `manual` (tests advance it) or `{ speed }` (e.g. 60× for demos). */
  clock?: ClockMode;
  /** Seeds ids, random seeds and faults (default 1). */
  seed?: number;
  /**
   * Accepted credentials; {@link EMULATOR_CREDENTIALS} when omitted. A Scenario key's `projectId` is the project it
   * acts in when a request names none (Scenario binds each key to one project); `proj_emulator` when not given.
   */
  credentials?: {
    scenario?: Array<{ key: string; secret: string; projectId?: string }>;
    modelslab?: string[];
  };
  /** Shorthand for `timings.trainingMs`. */
  trainingMs?: number;
  timings?: Partial<Timings>;
  /** Origin used in URLs inside responses (asset URLs, `fetch_result`); startEmulator sets the bound one. */
  publicUrl?: string;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
}

/**
 * Counts of what an emulator holds, for the control API and tests.
 *
 * @example
 * emulator.state().counts.models; // private models created so far
 */
export interface EmulatorState {
  clock: ReturnType<EmulatorClock['describe']>;
  timings: Timings;
  counts: {
    models: number;
    jobs: number;
    assets: number;
    modelslabRequests: number;
    modelslabTrainings: number;
  };
  faults: FaultRule[];
  publicUrl: string;
}

/**
 * A running emulator: a fetch handler plus the handles a test steers it with.
 *
 * @example
 * const emulator = createEmulator({ clock: 'manual' });
 * const res = await emulator.fetch(new Request('http://emulator.invalid/scenario/v1/models?privacy=public', {
 *   headers: { authorization: `Basic ${btoa('api_emulator:emulator-secret')}` } }));
 */
export interface Emulator {
  /** Answers a request; usable as a drop-in `fetch` (`(input, init?) => Promise<Response>`). */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  clock: EmulatorClock;
  log: RequestLog;
  faults: Faults;
  /** ModelsLab webhook calls (to loopback receivers only). */
  webhooks: Webhooks;
  /** Forgets every model, job, asset, request, log entry and fault; keeps the clock, catalogue and id counters. */
  reset(): void;
  /** Current counts and settings. */
  state(): EmulatorState;
  /** Changes timings for requests from now on. */
  setTimings(timings: Partial<Timings>): void;
  /** Fails an active Scenario training (model id) or ModelsLab training (training id) now. */
  failTraining(id: string): boolean;
  /** Sets the origin used in response URLs. */
  setPublicUrl(url: string): void;
  /**
   * Misbehaves on cue, once per count: `staleUrls` signed asset URLs handed out already expired (a
   * URL held too long), `emptyGenerations` Scenario generations that succeed with no assets,
   * `failedGenerations` ModelsLab generations that end `failed`.
   */
  misbehave(next: Misbehaviour): void;
}

/**
 * What {@link Emulator.misbehave} and `POST /_emulator/misbehave` take.
 *
 * @example
 * emulator.misbehave({ staleUrls: 1 });
 */
export type Misbehaviour = z.infer<typeof misbehaviourSchema>;

/** The zod schema of a {@link Misbehaviour} (also the control API's body). */
export const misbehaviourSchema = z
  .object({
    staleUrls: z.number().int().min(0).max(1000).optional(),
    emptyGenerations: z.number().int().min(0).max(1000).optional(),
    failedGenerations: z.number().int().min(0).max(1000).optional(),
  })
  .strict();

/**
 * The error a fetch handler throws for an injected connection reset; it looks like fetch's own
 * network failure (`TypeError: fetch failed` with an `ECONNRESET` cause).
 *
 * @example
 * try { await emulator.fetch(req); } catch (e) { if (isConnectionReset(e)) retry(); }
 */
export class EmulatorConnectionReset extends TypeError {
  constructor() {
    super('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    this.name = 'TypeError';
  }
}

/**
 * Whether an error is an injected connection reset.
 *
 * @example
 * await emulator.fetch(req).catch((e) => isConnectionReset(e)); // true under a `reset` fault
 */
export const isConnectionReset = (error: unknown): error is EmulatorConnectionReset =>
  error instanceof EmulatorConnectionReset;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function providerOf(path: string): LogEntry['provider'] {
  if (path.startsWith('/scenario/')) return 'scenario';
  if (path.startsWith('/modelslab/')) return 'modelslab';
  if (path.startsWith('/files/')) return 'files';
  return 'other';
}

function rateLimited(provider: LogEntry['provider'], seconds: number): Response {
  if (provider === 'modelslab') {
    return json(
      { status: 'error', message: 'Rate limit exceeded. Please retry later.', retry_after: seconds },
      429,
    );
  }
  return json({ message: 'Too Many Requests' }, 429, { 'retry-after': String(seconds) });
}

function serverError(provider: LogEntry['provider'], status: number, retryAfterS?: number): Response {
  const text = status === 503 ? 'Service unavailable' : 'Internal server error';
  if (provider === 'modelslab') {
    return json(
      { status: 'error', message: text, ...(retryAfterS !== undefined ? { retry_after: retryAfterS } : {}) },
      status,
    );
  }
  return json(
    { reason: text },
    status,
    retryAfterS !== undefined ? { 'retry-after': String(retryAfterS) } : {},
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Settles like fetch under an AbortSignal: an abort rejects at once with the signal's reason. */
function abortable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function slowBody(response: Response, totalMs: number, signal: AbortSignal): Response {
  const source = response.body;
  if (!source) return response;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  const reader = source.getReader();
  const pieces = 8;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      // A real fetch errors the body stream when its signal aborts mid-download.
      signal.addEventListener('abort', () => controller.error(abortReason(signal)), { once: true });
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      // Each chunk is cut into pieces sent `totalMs / pieces` apart: a trickle, not one late burst.
      const size = Math.max(1, Math.ceil(value.length / pieces));
      for (let offset = 0; offset < value.length; offset += size) {
        await sleep(totalMs / pieces);
        if (signal.aborted) return;
        controller.enqueue(value.subarray(offset, offset + size));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(stream, { status: response.status, statusText: response.statusText, headers });
}

/** What {@link serveWithFaults} needs of an emulator. */
interface Serving {
  app: () => Hono<Env>;
  control: () => Hono;
  faults: Faults;
  log: RequestLog;
  now: () => number;
  /** Delivers webhooks that are due. */
  tick: () => void;
}

/**
 * Answers one request: the control API directly; a vendor route through the faults (before or,
 * with `phase: 'after'`, after the route ran) and the request log.
 */
async function serveWithFaults(
  req: Request,
  { app, control, faults, log, now, tick }: Serving,
): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  tick();
  if (path === '/_emulator' || path.startsWith('/_emulator/')) return control().fetch(req);
  const provider = providerOf(path);
  const at = now();
  const info: RequestInfo = { route: routeNameFor(req.method, path) };
  const record = (status: number, fault?: string) => {
    const entry: Omit<LogEntry, 'seq'> = {
      at,
      method: req.method,
      path,
      provider,
      route: info.route,
      status,
    };
    if (info.modelId !== undefined) entry.modelId = info.modelId;
    if (info.jobId !== undefined) entry.jobId = info.jobId;
    if (info.account !== undefined) entry.account = info.account;
    if (fault !== undefined) entry.fault = fault;
    log.append(entry);
  };
  const fault = faults.pick(req.method, path);
  const phase = fault?.phase ?? 'before';
  if (fault?.kind === 'latency') await sleep(fault.ms ?? 1000);
  if (
    fault &&
    phase === 'before' &&
    (fault.kind === 'reset' || fault.kind === '429' || fault.kind === '5xx')
  ) {
    if (fault.kind === 'reset') {
      record(0, 'reset');
      throw new EmulatorConnectionReset();
    }
    const res =
      fault.kind === '429'
        ? rateLimited(provider, fault.retryAfterS ?? 1)
        : serverError(provider, fault.status ?? 500, fault.retryAfterS);
    record(res.status, fault.kind);
    return res;
  }
  let res = await app().fetch(req, { info });
  // The route may have scheduled webhooks, some due at once (an eta of 0).
  tick();
  if (fault && phase === 'after' && (fault.kind === 'reset' || fault.kind === '5xx')) {
    // The route has already changed state: the client sees a failure for something that happened.
    if (fault.kind === 'reset') {
      record(0, 'reset');
      throw new EmulatorConnectionReset();
    }
    res = serverError(provider, fault.status ?? 500, fault.retryAfterS);
  }
  if (fault?.kind === 'slow-body') res = slowBody(res, fault.ms ?? 2000, req.signal);
  record(res.status, fault?.kind);
  return res;
}

function checkOptions(options: EmulatorOptions): void {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  throw new TypeError(
    `Invalid emulator options at ${(issue?.path ?? []).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}.`,
  );
}

/** The vendor APIs and the file CDN as one hono app, over fresh state. */
function createApp(
  core: Core,
  scenario: ScenarioState,
  modelslab: ModelsLabState,
  keys: { scenario: Array<{ key: string; secret: string; projectId?: string }>; modelslab: string[] },
): Hono<Env> {
  const app = new Hono<Env>();
  app.route(SCENARIO_API.mount, createScenarioRoutes(core, scenario, { credentials: () => keys.scenario }));
  app.route(MODELSLAB_API.mount, createModelsLabRoutes(core, modelslab, { keys: () => keys.modelslab }));
  mountResources(app, FILES_API.resources, core);
  app.onError(() => json({ message: 'Internal server error' }, 500));
  app.notFound((c) => {
    c.env.info.route = 'unmatched';
    return json({ message: 'Not Found' }, 404);
  });
  return app;
}

/**
 * Creates an in-process emulator of the Scenario and ModelsLab API subsets. It imports nothing from
 * Node, so it also runs in a browser (Storybook) behind an injected `fetch`.
 *
 * @example
 * const emulator = createEmulator({ clock: 'manual', trainingMs: 15 * 60_000 });
 * // ... start a training through emulator.fetch ...
 * emulator.clock.advance(15 * 60_000); // the model is now `trained`
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  checkOptions(options);
  const seed = options.seed ?? 1;
  // Webhooks fire when emulated time reaches them: on a clock change, on a request, or on a wall
  // timer while the clock runs. The timer is unref'd so it never holds a Node process open.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const next = webhooks.nextAt();
    const { speed, now } = clock.describe();
    if (next === undefined || speed <= 0) return;
    timer = setTimeout(tick, Math.max(0, (next - now) / speed));
    (timer as { unref?: () => void }).unref?.();
  };
  function tick() {
    webhooks.pump();
    arm();
  }
  const clock = createClock(options.clock ?? 'real', Date.now, () => tick());
  const webhooks = createWebhookDispatcher({ now: () => clock.now() });
  let publicUrl = (options.publicUrl ?? 'http://emulator.invalid').replace(/\/+$/, '');
  const timings: Timings = {
    ...DEFAULT_TIMINGS,
    ...(options.trainingMs !== undefined ? { trainingMs: options.trainingMs } : {}),
    ...options.timings,
  };
  const scenarioKeys = options.credentials?.scenario ?? [{ ...EMULATOR_CREDENTIALS.scenario }];
  const modelslabKeys = options.credentials?.modelslab ?? [EMULATOR_CREDENTIALS.modelslab.key];
  const random = createRandom(seed);
  const files = createFileStore(() => publicUrl, seed);
  const core: Core = {
    clock,
    files,
    webhooks,
    timings,
    quirks: { emptyGenerations: 0, failedGenerations: 0 },
    seed,
    publicUrl: () => publicUrl,
    id: (prefix, length = 22) => {
      const body = randomAlnum(random, length);
      return prefix ? `${prefix}_${body}` : body;
    },
  };
  const log = createRequestLog();
  const faults = createFaults(seed);
  if (options.faults) faults.set(options.faults);

  let scenario: ScenarioState;
  let modelslab: ModelsLabState;
  let carriedRequestId: number | undefined;
  let app: Hono<Env>;

  const build = () => {
    // Ids keep counting across resets: a vendor never hands out the same id twice, and a client's
    // journal from before a reset must not match a new resource by accident.
    scenario = createScenarioState(core);
    modelslab = createModelsLabState(seed);
    if (carriedRequestId !== undefined) modelslab.nextId = carriedRequestId;
    app = createApp(core, scenario, modelslab, { scenario: scenarioKeys, modelslab: modelslabKeys });
  };
  build();

  const handle = (req: Request) =>
    serveWithFaults(req, {
      app: () => app,
      control: () => control,
      faults,
      log,
      now: () => clock.now(),
      tick,
    });

  const emulator: Emulator = {
    clock,
    log,
    faults,
    webhooks,
    fetch(input, init) {
      let req: Request;
      try {
        req = input instanceof Request && init === undefined ? input : new Request(input, init);
      } catch (error) {
        return Promise.reject(error);
      }
      return abortable(req.signal, () => handle(req));
    },
    reset() {
      carriedRequestId = modelslab.nextId;
      webhooks.clear();
      arm();
      files.clear();
      core.quirks.emptyGenerations = 0;
      core.quirks.failedGenerations = 0;
      log.clear();
      faults.clear();
      build();
    },
    state: () => ({
      clock: clock.describe(),
      timings: { ...timings },
      counts: {
        models: [...scenario.models.values()].filter((m) => m.privacy === 'private').length,
        jobs: scenario.jobs.size,
        assets: scenario.assets.size,
        modelslabRequests: modelslab.generations.size,
        modelslabTrainings: modelslab.trainings.size,
      },
      faults: faults.list(),
      publicUrl,
    }),
    setTimings(next) {
      const checked = timingsSchema.safeParse(next);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new TypeError(
          `Invalid timings at ${(issue?.path ?? []).join('.')}: ${issue?.message ?? 'invalid'}.`,
        );
      }
      Object.assign(timings, checked.data);
    },
    failTraining(id) {
      const t = clock.now();
      const model = scenario.models.get(id);
      if (model) {
        if (!model.run || model.builtInStatus) return false;
        const status = modelStatusAt(model, t);
        if (status !== 'training') return false;
        failScenarioTraining(scenario, model, t, 'Training failed on cue from the emulator control API');
        return true;
      }
      return failModelsLab(modelslab, id, t);
    },
    misbehave(next) {
      const m = misbehaviourSchema.parse(next);
      if (m.staleUrls) files.expireNext(m.staleUrls);
      if (m.emptyGenerations) core.quirks.emptyGenerations += m.emptyGenerations;
      if (m.failedGenerations) core.quirks.failedGenerations += m.failedGenerations;
    },
    setPublicUrl(url) {
      if (!z.url().safeParse(url).success)
        throw new TypeError(`The public URL must be an absolute URL, got ${url}.`);
      publicUrl = url.replace(/\/+$/, '');
    },
  };
  const control = createControlRoutes(emulator);
  return emulator;
}
