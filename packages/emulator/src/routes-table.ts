import { FILES_API } from './files-routes';
import { MODELSLAB_API } from './modelslab/routes';
import type { RouteDescriptor } from './route-kit';
import { describeRoutes } from './route-kit';
import { SCENARIO_API } from './scenario/routes';

/**
 * Every route of the emulator, made from the same resource lists its sub-apps are registered from:
 * the names the request log, fault injection and the control API use are written once, beside the handler.
 *
 * @example
 * ROUTE_TABLE.find((r) => r.name === 'scenario.models.train')?.path; // '/scenario/v1/models/:modelId/train'
 */
export const ROUTE_TABLE: readonly RouteDescriptor[] = [
  ...describeRoutes(SCENARIO_API),
  ...describeRoutes(MODELSLAB_API),
  ...describeRoutes(FILES_API),
];

/** A hono path pattern as a regular expression: `:param` is one segment, a trailing `*` the rest. */
function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) return '[^/]+';
      if (part === '*') return '.+';
      return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

// In table order, as hono tries them: a literal path registered first wins over a parameter.
const MATCHERS = ROUTE_TABLE.map((route) => ({ ...route, pattern: patternOf(route.path) }));

/**
 * The stable name of the route a request is for (`unmatched` when none), known before the route
 * runs, so that a request refused by a fault is still named in the log.
 *
 * @example
 * routeNameFor('PUT', '/scenario/v1/models/model_x/train'); // 'scenario.models.train'
 */
export function routeNameFor(method: string, path: string): string {
  for (const m of MATCHERS) if (m.method === method && m.pattern.test(path)) return m.name;
  return 'unmatched';
}
