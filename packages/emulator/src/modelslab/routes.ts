import { Hono } from 'hono';
import type { Core, Env } from '../context';
import { type Mounted, mountResources } from '../route-kit';
import { ModelsLabApi, VendorError, v6Error } from './http';
import { images } from './images';
import { models } from './models';
import type { ModelsLabState } from './state';
import { training, uploads } from './training';

/** The ModelsLab API subset: where it is mounted and its resources. */
export const MODELSLAB_API: Mounted<ModelsLabApi> = {
  mount: '/modelslab/api',
  resources: [images, training, uploads, models],
};

/** Options of the ModelsLab routes. */
export interface ModelsLabRoutesOptions {
  keys: () => string[];
}

/**
 * The ModelsLab API subset as a hono app (to mount under {@link MODELSLAB_API}'s path): body `key`
 * auth, `status: "error"` answers, and one sub-app per resource.
 *
 * @example
 * const app = createModelsLabRoutes(core, createModelsLabState(1), { keys: () => ['my-key'] });
 */
export function createModelsLabRoutes(
  core: Core,
  state: ModelsLabState,
  options: ModelsLabRoutesOptions,
): Hono<Env> {
  const app = new Hono<Env>();
  app.onError((error) => {
    if (error instanceof VendorError) return error.response;
    return v6Error('Internal server error', 500);
  });
  mountResources(app, MODELSLAB_API.resources, new ModelsLabApi(core, state, options.keys));
  app.notFound((c) => {
    c.env.info.route = 'modelslab.unknown';
    return v6Error(`Route ${c.req.method} ${new URL(c.req.url).pathname} not found`, 404);
  });
  return app;
}
