import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';

/**
 * Who may call the runtime's HTTP API: a bearer token, the browser origins allowed to call it, the Host names it
 * answers to, and whether bodies must be JSON. Each check is off unless configured, except `requireJson`.
 *
 * @example
 * const guard: HandlerGuards = { token: process.env.LORAFLOW_TOKEN, allowedOrigins: ['https://app.example'],
 *   allowedHosts: ['127.0.0.1:8787', 'localhost:8787'] };
 */
export interface HandlerGuards {
  /** Every request must carry `Authorization: Bearer <token>`; missing or wrong is `401 auth.required`. */
  token?: string;
  /**
   * Browser origins (`https://app.example`) allowed to call the API. A request whose `Origin` header is not listed is
   * `403 origin.forbidden`; CORS headers and preflight answers go to listed origins only. Unset: no origin check.
   */
  allowedOrigins?: readonly string[];
  /** `Host` header values (`name:port`) the API answers to; any other is `403 host.forbidden` (DNS rebinding). Unset: no check. */
  allowedHosts?: readonly string[];
  /** A request that carries a body must say `Content-Type: application/json`, else `415 request.content-type` (default true). */
  requireJson?: boolean;
}

/** The codes the guards answer with. */
export const GUARD_CODES = {
  authRequired: 'auth.required',
  originForbidden: 'origin.forbidden',
  hostForbidden: 'host.forbidden',
  contentType: 'request.content-type',
} as const;

type Problem = (code: string, message: string) => { error: Record<string, unknown> };

/**
 * The hono middlewares for `guards`, in the order they must run: host, origin (with CORS), token, content type.
 * Host and origin come before the token so a cross-site page learns nothing from a 401 versus a 403.
 *
 * @example
 * for (const m of guardMiddlewares({ token }, problem)) app.use('*', m);
 */
export function guardMiddlewares(guards: HandlerGuards, problem: Problem): MiddlewareHandler[] {
  const out: MiddlewareHandler[] = [];
  const refuse = (c: Context, status: 401 | 403 | 415, code: string, message: string) =>
    c.json(problem(code, message), status);

  if (guards.allowedHosts) {
    const hosts = new Set(guards.allowedHosts.map((h) => h.toLowerCase()));
    out.push(async (c, next) => {
      const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase();
      if (hosts.has(host)) return next();
      return refuse(c, 403, GUARD_CODES.hostForbidden, 'This server does not answer to that host name.');
    });
  }

  if (guards.allowedOrigins) {
    const origins = new Set(guards.allowedOrigins);
    out.push(async (c, next) => {
      const origin = c.req.header('origin');
      if (origin === undefined || origins.has(origin)) return next();
      return refuse(
        c,
        403,
        GUARD_CODES.originForbidden,
        'Requests from this web page’s origin are not allowed.',
      );
    });
    // Only listed origins reach here (or none), so cors answers preflights and echoes the origin for them alone.
    out.push(
      cors({
        origin: (origin) => (origins.has(origin) ? origin : null),
        allowHeaders: ['authorization', 'content-type', 'last-event-id'],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        maxAge: 600,
      }),
    );
  }

  if (guards.token !== undefined) {
    if (guards.token.length < 16) throw new Error('The runtime token must be at least 16 characters long.');
    const answer = () =>
      new Response(
        JSON.stringify(
          problem(
            GUARD_CODES.authRequired,
            'This request needs the runtime’s token: Authorization: Bearer <token>.',
          ),
        ),
        { status: 401, headers: { 'content-type': 'application/json' } },
      );
    // hono's bearerAuth compares in constant time (SHA-256 of both sides); every refusal is one 401 with our code.
    const auth = bearerAuth({
      token: guards.token,
      noAuthenticationHeader: { message: answer },
      invalidAuthenticationHeader: { message: answer },
      invalidToken: { message: answer },
    });
    // A preflight carries no credentials by design; it is answered by cors above, for listed origins only.
    out.push(async (c, next) => {
      if (c.req.method === 'OPTIONS') return next();
      try {
        return await auth(c, next);
      } catch (error) {
        // bearerAuth refuses by throwing its prepared response; answer it here, before the handler's onError.
        if (error instanceof HTTPException) return error.getResponse();
        throw error;
      }
    });
  }

  if (guards.requireJson !== false) {
    out.push(async (c, next) => {
      if (!carriesBody(c.req.raw)) return next();
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === 'application/json') return next();
      return refuse(
        c,
        415,
        GUARD_CODES.contentType,
        'The request body must be JSON, sent with Content-Type: application/json.',
      );
    });
  }
  return out;
}

function carriesBody(request: Request): boolean {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return false;
  const length = request.headers.get('content-length');
  if (length !== null) return length !== '0';
  return request.headers.has('transfer-encoding') || request.body !== null;
}
