/** One webhook call the emulator made (or skipped), for tests to read. */
export interface WebhookDelivery {
  url: string;
  /** Emulated ms the event was due. */
  at: number;
  /** HTTP status of the receiver's answer; 0 when the call failed. */
  status: number;
}

/**
 * ModelsLab webhooks, delivered only to loopback receivers (`127.0.0.1`, `localhost`, `[::1]`):
 * nothing leaves the machine. Events fire when emulated time reaches them — on a clock advance,
 * on any request, or on a wall timer when the clock runs.
 *
 * @example
 * await emulator.webhooks.settle(); // wait for calls already made
 * emulator.webhooks.deliveries().length;
 */
export interface Webhooks {
  /** Calls made so far, oldest first. */
  deliveries(): WebhookDelivery[];
  /** Resolves once every call already started has answered or failed. */
  settle(): Promise<void>;
  /** Events scheduled and not yet due. */
  pending(): number;
}

/** The emulator-side half: scheduling and pumping. */
export interface WebhookDispatcher extends Webhooks {
  /** Schedules a POST of `payload()` to `url` at emulated `at`; `payload` returning undefined skips it. */
  schedule(url: string, at: number, payload: () => unknown): void;
  /** Delivers every event that is due now. */
  pump(): void;
  /** Emulated ms of the next scheduled event, if any. */
  nextAt(): number | undefined;
  clear(): void;
}

/** Whether a URL may receive webhooks: http(s) on a loopback host. */
export function isLoopback(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (
      (protocol === 'http:' || protocol === 'https:') &&
      ['127.0.0.1', 'localhost', '[::1]'].includes(hostname)
    );
  } catch {
    return false;
  }
}

interface Scheduled {
  url: string;
  at: number;
  seq: number;
  payload: () => unknown;
}

/**
 * Creates the dispatcher. It owns no timer: the emulator pumps it when time moves and arms a wall
 * timer for `nextAt()` when its clock runs.
 *
 * @example
 * const hooks = createWebhookDispatcher({ now: () => clock.now() });
 */
export function createWebhookDispatcher(o: {
  now: () => number;
  send?: (url: string, body: string) => Promise<number>;
}): WebhookDispatcher {
  const send =
    o.send ??
    (async (url: string, body: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      return res.status;
    });
  let queue: Scheduled[] = [];
  let seq = 0;
  const done: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  return {
    schedule(url, at, payload) {
      if (!isLoopback(url)) return;
      queue.push({ url, at, seq: seq++, payload });
      queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    },
    pump() {
      const now = o.now();
      while (queue.length > 0 && (queue[0] as Scheduled).at <= now) {
        const event = queue.shift() as Scheduled;
        const payload = event.payload();
        if (payload === undefined) continue;
        const delivery: WebhookDelivery = { url: event.url, at: event.at, status: 0 };
        done.push(delivery);
        // Best effort, as the vendor says of its webhooks: a failed call is recorded, never retried.
        const call = send(event.url, JSON.stringify(payload)).then(
          (status) => {
            delivery.status = status;
          },
          () => {
            delivery.status = 0;
          },
        );
        const tracked = call.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
    },
    pending: () => queue.length,
    nextAt: () => queue[0]?.at,
    deliveries: () => done.map((d) => ({ ...d })),
    async settle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    clear() {
      queue = [];
    },
  };
}
