import type { Context } from 'hono';
import { z } from 'zod';
import { MODELSLAB_PUBLIC_LORAS, type ModelsLabFamily } from '../catalogue';
import type { Core, Env } from '../context';
import { json, readJson } from '../vendor-errors';
import { type GenerationRecord, type ModelsLabState, trainingOutcome } from './state';

/** A hono context of the emulator. */
export type C = Context<Env>;

/** A v6-style error (`message`). */
export const v6Error = (message: string, status = 200, extra: Record<string, unknown> = {}): Response =>
  json({ status: 'error', message, ...extra }, status);
/** A v3-style error (`messege`, the vendor's spelling on legacy routes). */
export const v3Error = (messege: string, status = 200): Response =>
  json({ status: 'error', messege }, status);

/** Thrown by a route to answer with `response`; the ModelsLab app's error handler sends it. */
export class VendorError extends Error {
  constructor(
    readonly response: Response,
    message: string,
  ) {
    super(message);
  }
}

/** Throws a v6 validation error (HTTP 200 `status: "error"`, the spec's `oneOf`). */
export const refuse = (message: string): never => {
  throw new VendorError(v6Error(message), message);
};

// Lenient coercion as the vendor's own examples send: numbers as numbers or numeric strings, flags as
// booleans or "yes"/"no"/"true"/"false".
export const numeric = (name: string) =>
  z.union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number),
    ],
    {
      error: `${name} must be a number`,
    },
  );
export const flag = (name: string) =>
  z
    .union([z.boolean(), z.enum(['yes', 'no', 'true', 'false', 'YES', 'NO'])], {
      error: `${name} must be "yes" or "no"`,
    })
    .transform((v) => v === true || v === 'yes' || v === 'true' || v === 'YES');

/** A number field with the vendor's range message (`width must be between 256 and 1024`). */
export const ranged = (name: string, min: number, max: number, integer = true) =>
  numeric(name).refine((v) => (!integer || Number.isInteger(v)) && v >= min && v <= max, {
    message: `${name} must be between ${min} and ${max}`,
  });

type Style = 'v6' | 'v3';

/** What every ModelsLab sub-app shares: services, state, the key check and the answer shapes. */
export class ModelsLabApi {
  constructor(
    readonly core: Core,
    readonly state: ModelsLabState,
    readonly keys: () => string[],
  ) {}

  now(): number {
    return this.core.clock.now();
  }

  url(path: string): string {
    return `${this.core.publicUrl()}/modelslab/api/${path}`;
  }

  /** Parses the body and checks `key`; v3 routes answer with `messege`. */
  async authed(c: C, style: Style): Promise<Record<string, unknown> & { key: string }> {
    const fail = style === 'v6' ? v6Error : v3Error;
    let body: unknown;
    try {
      body = await readJson(c.req.raw);
    } catch {
      throw new VendorError(fail('Invalid JSON body', 400), 'invalid json');
    }
    const record =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
    const index = typeof record.key === 'string' ? this.keys().indexOf(record.key) : -1;
    if (index < 0) {
      c.env.info.route = 'modelslab.unauthorized';
      throw new VendorError(fail('Invalid API key', 401), 'unauthorized');
    }
    // the key itself is the secret: the log names its position among the accepted ones
    c.env.info.account = `modelslab-key-${index}`;
    return record as Record<string, unknown> & { key: string };
  }

  check<T>(schema: z.ZodType<T>, value: unknown, style: Style): T {
    const result = schema.safeParse(value);
    if (!result.success) {
      const message = result.error.issues[0]?.message ?? 'Invalid request';
      throw new VendorError(style === 'v6' ? v6Error(message) : v3Error(message), message);
    }
    return result.data;
  }

  /** The LoRAs a key may use: the public ones and its own finished trainings. */
  readyLoras(key: string): Map<string, ModelsLabFamily> {
    const t = this.now();
    const out = new Map<string, ModelsLabFamily>(Object.entries(MODELSLAB_PUBLIC_LORAS));
    for (const tr of this.state.trainings.values()) {
      if (tr.key === key && trainingOutcome(tr, t).stage === 'model_ready') out.set(tr.id, tr.family);
    }
    return out;
  }

  /** A generation as text2img, img2img and fetch answer it: `success` once ready, `processing` before. */
  generationView(g: GenerationRecord, t: number): Record<string, unknown> {
    const links = g.files.map((f) => this.core.files.url(f, t));
    // "failed" is what several clients see from fetch (PROVIDERS.md 2.3)
    if (t >= g.readyAt && g.failed)
      return { status: 'failed', id: g.id, message: 'Image generation failed.' };
    if (t >= g.readyAt) {
      return {
        status: 'success',
        generationTime: Math.round((g.readyAt - g.createdAt) / 10) / 100,
        id: g.id,
        output: links,
        proxy_links: links,
        nsfw_content_detected: false,
        webhook_status: '',
        meta: g.meta,
      };
    }
    return {
      status: 'processing',
      tip: 'Your image is processing in background, you can get this image using fetch API',
      eta: Math.round((g.readyAt - t) / 10) / 100,
      message: 'Try to fetch request after seconds estimated',
      webhook_status: '',
      fetch_result: this.url(`v6/images/fetch/${g.id}`),
      id: g.id,
      output: [],
      meta: g.meta,
      future_links: links,
    };
  }
}
