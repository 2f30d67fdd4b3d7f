import { Hono } from 'hono';
import type { Core, Env } from '../context';
import { type Mounted, mountResources } from '../route-kit';
import { json } from '../vendor-errors';
import { assets } from './assets';
import { generate } from './generate';
import { type C, ReasonError, reason, ScenarioApi } from './http';
import { jobs } from './jobs';
import { models } from './models';
import type { ScenarioState } from './state';
import { training } from './training';
import { trainingImages } from './training-images';

/** Scenario credentials: HTTP Basic with the API key as user name and the secret as password. */
export interface ScenarioCredential {
  key: string;
  secret: string;
  /** The project the key is bound to: where a request that names no `projectId` acts (`proj_emulator` by default). */
  projectId?: string;
}

/**
 * The Scenario API subset: where it is mounted and its resources, in registration order (a literal
 * path such as `/models/public` is registered before `/models/:modelId`, so it wins).
 */
export const SCENARIO_API: Mounted<ScenarioApi> = {
  mount: '/scenario/v1',
  resources: [models, trainingImages, training, jobs, assets, generate],
};

/** Options of the Scenario routes. */
export interface ScenarioRoutesOptions {
  credentials: () => ScenarioCredential[];
}

/** The accepted credential a valid Basic pair names, or undefined. */
function basicUser(c: C, credentials: ScenarioCredential[]): ScenarioCredential | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(c.req.header('authorization') ?? '');
  if (!match) return undefined;
  try {
    const decoded = atob(match[1] as string);
    const colon = decoded.indexOf(':');
    const key = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    return colon > 0 ? credentials.find((k) => k.key === key && k.secret === secret) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Scenario API subset as a hono app (to mount under {@link SCENARIO_API}'s path): Basic auth,
 * `{ reason }` errors, and one sub-app per resource.
 *
 * @example
 * const app = createScenarioRoutes(core, state, { credentials: () => [EMULATOR_CREDENTIALS.scenario] });
 */
export function createScenarioRoutes(
  core: Core,
  state: ScenarioState,
  options: ScenarioRoutesOptions,
): Hono<Env> {
  const app = new Hono<Env>();
  app.onError((error) => {
    if (error instanceof ReasonError) return reason(error.status, error.message);
    return reason(500, 'Internal server error');
  });
  // Basic auth: a missing or wrong pair is the API Gateway authorizer's 401.
  app.use('*', async (c, next) => {
    const credentials = options.credentials();
    const user = basicUser(c, credentials);
    if (user === undefined) {
      c.env.info.route = 'scenario.unauthorized';
      return json({ message: 'Unauthorized' }, 401);
    }
    // a key id is a credential too: the log names the key's position among the accepted ones
    c.env.info.account = `scenario-key-${credentials.indexOf(user)}`;
    await next();
    return undefined;
  });
  mountResources(
    app,
    SCENARIO_API.resources,
    new ScenarioApi(
      core,
      state,
      (account) => options.credentials()[Number(account.slice('scenario-key-'.length))]?.projectId,
    ),
  );
  app.notFound((c) => {
    c.env.info.route = 'scenario.unknown';
    return reason(404, `Route ${c.req.method} ${new URL(c.req.url).pathname} not found`);
  });
  return app;
}

export { cancelTraining, failTraining } from './training';
