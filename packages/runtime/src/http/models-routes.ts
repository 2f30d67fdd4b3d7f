import { sniffImageType } from '@loraflow/core';
import type { Context, Env, Hono } from 'hono';
import { issuesOf, RUNTIME_CODES, RuntimeError } from '../errors';
import { modelQuerySchema } from '../models';
import type { Runtime } from '../types';

/**
 * The model catalogue's routes on a runtime handler: `GET /models?provider=&family=&kind=&search=&cursor=&limit=`
 * (limit 1..100) answers `{ models, nextCursor?, skipped? }`; `GET /models/thumbnail?ref=` answers a picture's bytes with the
 * type sniffed from them (PNG, JPEG or WebP; anything else is 404), never the provider's URL.
 *
 * @example
 * registerModelRoutes(app, (c) => runtime); // inside createRuntimeHandler's route table; a tenant's view per request
 */
export function registerModelRoutes<E extends Env>(
  app: Hono<E>,
  runtimeOf: (c: Context<E>) => Runtime,
): void {
  app.get('/models', async (c) => {
    // an empty field (`?search=`) is no filter, as a form submitting every field sends it
    const given = Object.entries(c.req.query()).filter(([, v]) => v !== '');
    const result = modelQuerySchema.safeParse(Object.fromEntries(given));
    if (!result.success) {
      const issues = issuesOf(result.error.issues, RUNTIME_CODES.requestInvalid, ['query']);
      throw new RuntimeError(
        RUNTIME_CODES.requestInvalid,
        `The model query is not valid (at ${issues[0]?.path.join('.')}: ${issues[0]?.message}).`,
        issues,
      );
    }
    return c.json(await runtimeOf(c).models(result.data));
  });

  app.get('/models/thumbnail', async (c) => {
    const ref = c.req.query('ref') ?? '';
    const bytes = await runtimeOf(c).modelThumbnail(ref);
    if (!bytes) throw new RuntimeError(RUNTIME_CODES.blobNotFound, 'That model has no picture to show.');
    // modelThumbnail hands out raster bytes only, so the sniffed type is one of the three
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': sniffImageType(bytes) ?? 'application/octet-stream',
        'content-length': String(bytes.byteLength),
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      },
    });
  });
}
