import type { Journal, JournalRecord } from '@loraflow/core';
import { z } from 'zod';

/**
 * What one verified callback says, once its kind's schema has read the provider's body: which provider job it is
 * about, whether that job has reached an end, and the stage it names (for the record only).
 *
 * @example
 * const notice: WebhookNotice = { job: 'F5jvdzGnYi', ended: true, stage: 'model_ready' };
 */
export interface WebhookNotice {
  job: string;
  ended: boolean;
  stage?: string | undefined;
}

/**
 * The callbacks a receiver accepts, by kind (a URL segment): a zod schema that reads a provider's body into a
 * {@link WebhookNotice}. The node pack that registers webhooks brings them (the runtime knows no provider).
 *
 * @example
 * const kinds: WebhookKinds = { 'modelslab-training': z.object({ model_id: z.string() }).transform((b) => ({ job: b.model_id, ended: false })) };
 */
export type WebhookKinds = Readonly<Record<string, z.core.$ZodType<WebhookNotice>>>;

/**
 * Options of {@link createWebhookReceiver}.
 *
 * @example
 * createWebhookReceiver({ publicUrl: 'https://flows.example/loraflow', secret, kinds: loraWebhookKinds, journal: store });
 */
export interface WebhookReceiverOptions {
  /** Where providers reach the runtime's HTTP handler (its base path included), e.g. `https://flows.example`. */
  publicUrl: string;
  /** The server's secret (at least 32 bytes of randomness); every process that hands out or checks URLs shares it. */
  secret: string;
  kinds: WebhookKinds;
  /** Where callbacks are recorded, so a resumed run or another process sharing the store sees them. */
  journal?: Journal;
  /** How often a waiter re-reads the record for a callback that landed in another process (ms, default 10 s). */
  recheckMs?: number;
  /** The poll interval while a webhook is registered: polling stays as a safety net (ms, default 5 min). */
  safetyNetMs?: number;
  /** Largest callback body accepted, in bytes (default 64 KiB). */
  maxBodyBytes?: number;
}

/**
 * What a callback route's {@link WebhookReceiver.receive} answers: `recorded`, or why nothing was.
 *
 * @example
 * if (outcome.kind === 'forged') return new Response(null, { status: 401 });
 */
export type WebhookOutcome =
  | { kind: 'recorded'; notice: WebhookNotice }
  /** Held until the node binds the URL's hook to a job (the callback came before the provider's answer was read). */
  | { kind: 'held'; notice: WebhookNotice }
  /** The URL's hook is bound to another job than the body names: a holder of one URL speaking for another job. */
  | { kind: 'mismatch'; notice: WebhookNotice }
  /** Before its bind, the hook already holds callbacks for {@link MAX_HELD_JOBS} other jobs: nothing more is stored. */
  | { kind: 'held-full'; notice: WebhookNotice }
  | { kind: 'unknown-kind' }
  | { kind: 'forged' }
  | { kind: 'invalid'; issues: z.core.$ZodIssue[] };

/**
 * The server side of webhooks: it mints per-job callback URLs, verifies and records the callbacks its route receives,
 * and wakes whoever waits on that job. Nodes see it as their `webhooks` service; the HTTP handler mounts its route.
 *
 * @example
 * const webhooks = createWebhookReceiver({ publicUrl, secret, kinds, journal: store });
 * createRuntime({ registry, store, services: { ...services, webhooks } });
 * createRuntimeHandler(runtime, { webhooks });
 */
export interface WebhookReceiver {
  /** The URL to give a provider for the job a node is about to start; `hook` is an id the node knows before (its cache key's tag). */
  url(kind: string, hook: string): Promise<string>;
  /**
   * Binds the URL's hook to the job the provider answered: from then on, only callbacks naming that job are recorded
   * (another job is `mismatch`); a callback held before the bind is recorded now when it names that job. A node binds
   * again when its job is replaced (a training started anew under the same cache key).
   */
  bind(kind: string, hook: string, job: string): Promise<void>;
  /** Resolves when a verified callback says `job` ended (at once when one is recorded already); rejects only when `signal` aborts. */
  ended(kind: string, job: string, signal: AbortSignal): Promise<void>;
  /** Calls `listener` with each verified callback about `job` this process receives, until the returned function is called. */
  notices(kind: string, job: string, listener: (notice: WebhookNotice) => void): () => void;
  /** The poll interval while a webhook is registered (ms). */
  readonly safetyNetMs: number;
  /** Largest callback body accepted (bytes). */
  readonly maxBodyBytes: number;
  /** Checks a callback's token in constant time, reads its body with its kind's schema, records it and wakes its waiters. */
  receive(kind: string, hook: string, token: string, body: unknown): Promise<WebhookOutcome>;
}

/** The journal key of the job a hook is bound to, and of a callback held until then. */
const bindingKey = (kind: string, hook: string) => `webhook-hook/${kind}/${hook}`;
const heldKey = (kind: string, hook: string, job: string) => `webhook-held/${kind}/${hook}/${job}`;
const heldJobsKey = (kind: string, hook: string) => `webhook-held-jobs/${kind}/${hook}`;

/**
 * How many distinct jobs one hook may hold callbacks for before its bind. A provider names one job per URL; the
 * bound keeps a holder of a valid URL from writing records without end in the moment before the bind.
 *
 * @example
 * if (outcome.kind === 'held-full') console.warn(`more than ${MAX_HELD_JOBS} jobs named before the bind`);
 */
export const MAX_HELD_JOBS = 4;

// bindings and held callbacks kept without a journal; a hook lives as long as its job, minutes to hours
const MEMORY_RECORDS = 10_000;

/** The journal key a callback about `job` is recorded under. */
export function webhookRecordKey(kind: string, job: string): string {
  return `webhook/${kind}/${job}`;
}

const recordedNotice = z.object({ job: z.string(), ended: z.boolean(), stage: z.string().optional() });
const segment = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Creates the receiver. A callback URL is `<publicUrl>/hooks/<kind>/<hook>/<token>`, the token an HMAC-SHA256 of
 * kind and hook under the server's secret: it proves the caller was handed that URL, since ModelsLab signs nothing.
 * The job a callback speaks of must be the one the node bound the hook to (`bind`, once the provider answered): a
 * holder of one URL cannot speak for another job. A callback is a hint to look now, never the outcome: the waiting
 * node still reads the job's status with its key.
 *
 * @example
 * const webhooks = createWebhookReceiver({ publicUrl: 'http://127.0.0.1:8787', secret, kinds: loraWebhookKinds });
 * await webhooks.url('modelslab-training', 'lf-3fa9c0d2e1b4a7f6');
 */
// long because the receiver's methods share its key, waiters, listeners and journal helpers; each is under 40 lines
export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  if (new TextEncoder().encode(options.secret).byteLength < 32) {
    throw new Error(
      'createWebhookReceiver needs a secret of at least 32 bytes (e.g. 32 random bytes, base64url).',
    );
  }
  const base = new URL(options.publicUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`createWebhookReceiver needs an http(s) publicUrl, not ${base.protocol}`);
  }
  const root = base.href.replace(/\/+$/, '');
  const recheckMs = options.recheckMs ?? 10_000;
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(options.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const waiters = new Map<string, Set<() => void>>();
  // without a journal, bindings and held callbacks live in memory (one process)
  const memory = new Map<string, JournalRecord>();
  const read = async (key: string) => (options.journal ? options.journal.getRecord(key) : memory.get(key));
  const write = async (record: JournalRecord) => {
    if (options.journal) return options.journal.putRecord(record);
    memory.delete(record.key);
    memory.set(record.key, record);
    // oldest first out: a long-lived process without a journal keeps the recent hooks, not every hook it issued
    if (memory.size > MEMORY_RECORDS) memory.delete(memory.keys().next().value as string);
  };
  const boundJob = async (kind: string, hook: string) => {
    const job = (await read(bindingKey(kind, hook)))?.result;
    return typeof job === 'string' ? job : undefined;
  };
  /** Records a callback about its (bound) job and wakes whoever waits on it. */
  const accept = async (kind: string, hook: string, notice: WebhookNotice) => {
    if (options.journal) {
      const record: JournalRecord = {
        key: webhookRecordKey(kind, notice.job),
        state: 'done',
        intent: { hook },
        result: {
          job: notice.job,
          ended: notice.ended,
          ...(notice.stage !== undefined ? { stage: notice.stage } : {}),
        },
        at: Date.now(),
        runId: `webhook-${kind}`,
      };
      const previous = await options.journal.getRecord(record.key);
      // An end once recorded stays recorded: a late stage callback arriving out of order never hides it.
      if (!recordedNotice.safeParse(previous?.result).data?.ended) await options.journal.putRecord(record);
    }
    for (const listener of listeners.get(`${kind}\n${notice.job}`) ?? []) listener(notice);
    if (notice.ended) wake(`${kind}\n${notice.job}`);
  };
  /** A callback held for `job` under `hook`, if one came before the bind. */
  const heldNotice = async (kind: string, hook: string, job: string) => {
    const held = recordedNotice.safeParse((await read(heldKey(kind, hook, job)))?.result);
    return held.success ? held.data : undefined;
  };
  const listeners = new Map<string, Set<(notice: WebhookNotice) => void>>();
  /** A verified callback about `notice.job`: held until the bind, then recorded when it names the bound job. */
  const take = async (kind: string, hook: string, notice: WebhookNotice): Promise<WebhookOutcome> => {
    let bound = await boundJob(kind, hook);
    if (bound === undefined) {
      const previous = await heldNotice(kind, hook, notice.job);
      if (!previous) {
        const listed = (await read(heldJobsKey(kind, hook)))?.result;
        const jobs = Array.isArray(listed) ? listed.filter((j): j is string => typeof j === 'string') : [];
        if (!jobs.includes(notice.job)) {
          if (jobs.length >= MAX_HELD_JOBS) return { kind: 'held-full', notice };
          await write({
            key: heldJobsKey(kind, hook),
            state: 'done',
            intent: { hook },
            result: [...jobs, notice.job],
            at: Date.now(),
            runId: `webhook-${kind}`,
          });
        }
      }
      await write({
        key: heldKey(kind, hook, notice.job),
        state: 'done',
        intent: { hook },
        result: {
          job: notice.job,
          // a held end stays an end, as a recorded one does
          ended: notice.ended || previous?.ended === true,
          ...(notice.stage !== undefined ? { stage: notice.stage } : {}),
        },
        at: Date.now(),
        runId: `webhook-${kind}`,
      });
      bound = await boundJob(kind, hook);
      if (bound === undefined) return { kind: 'held', notice };
    }
    if (bound !== notice.job) return { kind: 'mismatch', notice };
    await accept(kind, hook, notice);
    return { kind: 'recorded', notice };
  };
  // one hook's callbacks are taken one at a time: its held-jobs list is read then written, and two at once both pass
  // the bound
  const turns = new Map<string, Promise<unknown>>();
  const inTurn = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const mine = (turns.get(id) ?? Promise.resolve()).then(work, work);
    const settled = mine.catch(() => {});
    turns.set(id, settled);
    void settled.then(() => {
      if (turns.get(id) === settled) turns.delete(id);
    });
    return mine;
  };
  // own keys only: a kind from a URL such as "constructor" must not find what every object inherits
  const schemaOf = (kind: string) => (Object.hasOwn(options.kinds, kind) ? options.kinds[kind] : undefined);
  const signed = (kind: string, hook: string) => new TextEncoder().encode(`loraflow.webhook:${kind}:${hook}`);

  const wake = (id: string) => {
    for (const resolve of waiters.get(id) ?? []) resolve();
    waiters.delete(id);
  };
  const recordedEnd = async (kind: string, job: string) => {
    const record = await options.journal?.getRecord(webhookRecordKey(kind, job));
    const notice = recordedNotice.safeParse(record?.result);
    return notice.success && notice.data.ended;
  };

  return {
    safetyNetMs: options.safetyNetMs ?? 5 * 60_000,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,

    async url(kind, hook) {
      if (!schemaOf(kind) || !segment.test(hook)) {
        throw new Error(
          `No webhook URL for kind "${kind}" and hook "${hook}": the kind is not registered or the hook is not a URL segment.`,
        );
      }
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key, signed(kind, hook)));
      return `${root}/hooks/${kind}/${hook}/${base64url(mac)}`;
    },

    async bind(kind, hook, job) {
      if (!schemaOf(kind) || !segment.test(hook)) {
        throw new Error(
          `No webhook hook "${hook}" of kind "${kind}" to bind: it was never a URL this server issues.`,
        );
      }
      await write({
        key: bindingKey(kind, hook),
        state: 'done',
        intent: { hook },
        result: job,
        at: Date.now(),
        runId: `webhook-${kind}`,
      });
      // written first, read after: of a bind and a callback crossing, at least one sees the other
      const held = await heldNotice(kind, hook, job);
      if (held) await accept(kind, hook, held);
    },

    notices(kind, job, listener) {
      const id = `${kind}\n${job}`;
      const set = listeners.get(id) ?? new Set();
      set.add(listener);
      listeners.set(id, set);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
      };
    },

    async ended(kind, job, signal) {
      const id = `${kind}\n${job}`;
      signal.throwIfAborted();
      let resolve = () => {};
      const woken = new Promise<void>((r) => {
        resolve = r;
      });
      const set = waiters.get(id) ?? new Set();
      set.add(resolve);
      waiters.set(id, set);
      const stop = () => resolve();
      signal.addEventListener('abort', stop, { once: true });
      // A callback that landed in another process sharing the store is seen on a re-read of its record.
      const timer = setInterval(() => {
        recordedEnd(kind, job).then(
          (yes) => yes && resolve(),
          () => undefined,
        );
      }, recheckMs);
      try {
        if (await recordedEnd(kind, job)) return;
        await woken;
        signal.throwIfAborted();
      } finally {
        clearInterval(timer);
        signal.removeEventListener('abort', stop);
        set.delete(resolve);
        if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
      }
    },

    async receive(kind, hook, token, body) {
      const schema = schemaOf(kind);
      if (!schema) return { kind: 'unknown-kind' };
      const mac = segment.test(hook) ? fromBase64url(token) : undefined;
      // subtle.verify compares in constant time; a token of the wrong length or alphabet fails the same way.
      if (!mac || !(await crypto.subtle.verify('HMAC', await key, mac, signed(kind, hook)))) {
        return { kind: 'forged' };
      }
      const parsed = z.safeParse(schema, body);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const notice = parsed.data;
      // the token proves the hook only; the job the body names must be the one the hook was bound to
      return inTurn(`${kind}\n${hook}`, () => take(kind, hook, notice));
    },
  };
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  // 32 bytes in 43 characters: the last one carries 2 spare bits, which must be zero (one spelling per token).
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text)) return undefined;
  const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}
