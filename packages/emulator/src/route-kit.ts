import { type Context, Hono } from 'hono';
import type { Env } from './context';

/** The methods the emulated APIs use. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One entry of the route table: what the request log, fault injection and the control API know of a
 * route before it runs. `path` is a hono pattern (`:param` for one segment, a trailing `*` for the rest).
 *
 * @example
 * const d: RouteDescriptor = { method: 'PUT', path: '/scenario/v1/models/:modelId/train', name: 'scenario.models.train' };
 */
export interface RouteDescriptor {
  method: Method;
  path: string;
  name: string;
}

/** A route's handler; `deps` is what its provider's sub-apps share (state, clock, helpers). */
export type RouteHandler<D> = (c: Context<Env>, deps: D) => Response | Promise<Response>;

interface RouteSpec<D> extends RouteDescriptor {
  handle: RouteHandler<D>;
}

/**
 * The routes of one resource (models, jobs, ...): each route's name is the resource's name plus a key,
 * written once here; the route table and the resource's hono sub-app are both made from this list.
 *
 * @example
 * const jobs = resource<Api>('scenario.jobs').get('list', '/jobs', listJobs).get('get', '/jobs/:jobId', getJob);
 * jobs.routes.map((r) => r.name); // ['scenario.jobs.list', 'scenario.jobs.get']
 */
export class Resource<D> {
  readonly routes: ReadonlyArray<RouteSpec<D>> = [];

  constructor(readonly name: string) {}

  /** Adds a route named `${name}.${key}`; several paths (a vendor's alternative spellings) share it. */
  on(method: Method, key: string, paths: string | readonly string[], handle: RouteHandler<D>): this {
    const list = this.routes as Array<RouteSpec<D>>;
    for (const path of typeof paths === 'string' ? [paths] : paths) {
      list.push({ method, path, name: `${this.name}.${key}`, handle });
    }
    return this;
  }

  get(key: string, paths: string | readonly string[], handle: RouteHandler<D>): this {
    return this.on('GET', key, paths, handle);
  }

  post(key: string, paths: string | readonly string[], handle: RouteHandler<D>): this {
    return this.on('POST', key, paths, handle);
  }

  put(key: string, paths: string | readonly string[], handle: RouteHandler<D>): this {
    return this.on('PUT', key, paths, handle);
  }

  delete(key: string, paths: string | readonly string[], handle: RouteHandler<D>): this {
    return this.on('DELETE', key, paths, handle);
  }

  /** The resource as a hono sub-app: every handler first names its request in the log. */
  app(deps: D): Hono<Env> {
    const app = new Hono<Env>();
    for (const route of this.routes) {
      app.on(route.method, route.path, (c) => {
        c.env.info.route = route.name;
        return route.handle(c, deps);
      });
    }
    return app;
  }
}

/**
 * Starts a resource's route list.
 *
 * @example
 * const assets = resource<Api>('scenario.assets').get('get', '/assets/:assetId', getAsset);
 */
export const resource = <D>(name: string): Resource<D> => new Resource<D>(name);

/**
 * An API mounted at one path (`/scenario/v1`) and made of resources.
 *
 * @example
 * const files: Mounted<FileStoreDeps> = { mount: '', resources: [filesResource] };
 */
export interface Mounted<D> {
  mount: string;
  resources: ReadonlyArray<Resource<D>>;
}

/** Registers every resource's sub-app on `app` (already mounted at the API's path). */
export function mountResources<D>(app: Hono<Env>, resources: ReadonlyArray<Resource<D>>, deps: D): void {
  for (const r of resources) app.route('/', r.app(deps));
}

/**
 * The route table rows of an API: its resources' routes with the mount path in front.
 *
 * @example
 * describeRoutes({ mount: '/scenario/v1', resources: [jobs] })[0]?.path; // '/scenario/v1/jobs'
 */
export function describeRoutes<D>(api: Mounted<D>): RouteDescriptor[] {
  return api.resources.flatMap((r) =>
    r.routes.map(({ method, path, name }) => ({ method, path: `${api.mount}${path}`, name })),
  );
}

/** Adds a suffix to the request's route name (`scenario.models.train` → `scenario.models.train.dryRun`). */
export function nameVariant(c: Context<Env>, suffix: string): void {
  c.env.info.route = `${c.env.info.route}.${suffix}`;
}

/** Records the model and job a request acted on, for the request log. */
export function tagRequest(c: Context<Env>, ids: { modelId?: string; jobId?: string }): void {
  if (ids.modelId !== undefined) c.env.info.modelId = ids.modelId;
  if (ids.jobId !== undefined) c.env.info.jobId = ids.jobId;
}

/** A path parameter the route's pattern guarantees (hono types it as possibly absent). */
export function pathParam(c: Context<Env>, name: string): string {
  return c.req.param(name) ?? '';
}
