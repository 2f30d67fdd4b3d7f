// Which tenant a request acts for (decision 0034): the host's credentials hook, checked, turned into that tenant's view.
import type { MiddlewareHandler } from 'hono';
import { RUNTIME_CODES, RuntimeError } from '../errors';
import { parseTenantCredentials, servesTenants } from '../tenants';
import type { LocalRuntime, Runtime } from '../types';

/**
 * The host's per-request answer to "whose keys, whose runs": tenant credentials (see `tenantCredentialsSchema`), or
 * undefined (or a throw) to refuse the request with `401 tenant.unauthorized`.
 *
 * @example
 * const credentials: CredentialsHook = async (req) => {
 *   const user = await session(req);
 *   return user && { tenant: user.id, providers: { modelslab: { apiKey: user.modelslabKey } } };
 * };
 */
export type CredentialsHook = (request: Request) => unknown;

type Problem = (code: string, message: string, issues?: unknown) => { error: Record<string, unknown> };

/**
 * The variable the tenant middleware sets: the runtime as the request's tenant sees it.
 *
 * @example
 * const app = new Hono<{ Variables: TenantVariables }>();
 * app.get('/runs', async (c) => c.json(await (c.get('runtime') ?? runtime).listRuns()));
 */
export type TenantVariables = { runtime?: Runtime };

/**
 * A hono middleware that asks `credentials` who the request acts for and puts that tenant's view of `runtime` in the
 * context (`c.get('runtime')`). The hook's answer is checked before use; its values never reach an answer or a log.
 *
 * @example
 * app.use('*', tenantMiddleware(runtime, options.credentials, problem));
 */
export function tenantMiddleware(
  runtime: Runtime,
  credentials: CredentialsHook,
  problem: Problem,
): MiddlewareHandler<{ Variables: TenantVariables }> {
  const forTenant = (runtime as Partial<LocalRuntime>).forTenant;
  if (typeof forTenant !== 'function' || !servesTenants(runtime)) {
    throw new TypeError(
      'createRuntimeHandler: credentials needs a runtime that serves tenants (createRuntime with a tenants option).',
    );
  }
  const refuse = (): Response =>
    Response.json(
      problem(RUNTIME_CODES.tenantUnauthorized, 'This request is not allowed to act for any tenant.'),
      { status: 401 },
    );
  return async (c, next) => {
    // A preflight carries no credentials by design; the guards' cors answers it.
    if (c.req.method === 'OPTIONS') return next();
    let answer: unknown;
    try {
      answer = await credentials(c.req.raw);
    } catch {
      // the hook's own error may say anything (a key, a database's text): it is not echoed
      return refuse();
    }
    if (answer === undefined || answer === null || answer === false) return refuse();
    try {
      c.set('runtime', forTenant.call(runtime, parseTenantCredentials(answer)));
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
      return Response.json(problem(error.code, error.message, error.issues), { status: error.status });
    }
    return next();
  };
}
