import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  createProviderError,
  InsufficientCreditsError,
  modelsLabBodyError,
  NotFoundError,
  PermissionError,
  ProviderError,
  parseRetryAfter,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors';
import { createRedactor } from './redact';

const redactor = createRedactor(['sk-canary-0123456789'], [['api_canarykey', 'canary-secret-xyz']]);

describe('createProviderError', () => {
  it.each([
    [401, AuthenticationError, 'authentication', false],
    [402, InsufficientCreditsError, 'insufficient_credits', false],
    [403, PermissionError, 'permission', false],
    [404, NotFoundError, 'not_found', false],
    [400, ValidationError, 'validation', false],
    [422, ValidationError, 'validation', false],
    [429, RateLimitError, 'rate_limited', true],
    [500, ServerError, 'server', true],
    [503, ServerError, 'server', true],
  ] as const)('maps HTTP %i to its class, a stable code and a retry flag', (status, cls, code, retryable) => {
    const e = createProviderError({ provider: 'scenario', status, body: { reason: 'why' }, redactor });
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.status).toBe(status);
    expect(e.reason).toBe('why');
    expect(e.message).toContain('why');
  });

  it('keeps the vendor reason of a Scenario 400 in the message', () => {
    const e = createProviderError({
      provider: 'scenario',
      status: 400,
      body: { reason: 'Input loras must be at most 6 items long' },
      redactor,
      operation: 'POST /generate/custom/{modelId}',
    });
    expect(e.message).toBe(
      'Scenario answered 400 to POST /generate/custom/{modelId}: Input loras must be at most 6 items long',
    );
  });

  it('reads retry-after from the header in seconds, as a date, in ms, and from the ModelsLab body', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), undefined, now)).toBe(7000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500' }), undefined, now)).toBe(1500);
    expect(
      parseRetryAfter(new Headers({ 'retry-after': new Date(now + 4000).toUTCString() }), undefined, now),
    ).toBe(4000);
    expect(parseRetryAfter(undefined, { status: 'error', retry_after: 30 }, now)).toBe(30_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), {}, now)).toBeUndefined();
    const e = createProviderError({
      provider: 'modelslab',
      status: 429,
      body: {
        status: 'error',
        message: 'Rate limit exceeded. Maximum 5 queued requests allowed.',
        retry_after: 30,
      },
      redactor,
    });
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBe(30_000);
  });

  it('maps ModelsLab status:"error" bodies on HTTP 200 by their message (message or messege)', () => {
    expect(modelsLabBodyError({ status: 'error', message: 'Invalid API key' }, redactor, 200)).toBeInstanceOf(
      AuthenticationError,
    );
    expect(
      modelsLabBodyError(
        { status: 'error', message: 'Insufficient credits. Please add more credits to continue.' },
        redactor,
        200,
      ),
    ).toBeInstanceOf(InsufficientCreditsError);
    expect(
      modelsLabBodyError({ status: 'error', messege: 'Model not found: abc' }, redactor, 200),
    ).toBeInstanceOf(NotFoundError);
    const v = modelsLabBodyError(
      { status: 'error', message: 'width must be between 256 and 1024' },
      redactor,
      200,
    );
    expect(v).toBeInstanceOf(ValidationError);
    expect(v.reason).toBe('width must be between 256 and 1024');
    expect(
      modelsLabBodyError({ status: 'error', message: 'Rate limit exceeded', retry_after: 2 }, redactor, 200),
    ).toBeInstanceOf(RateLimitError);
  });

  it('never puts a secret into the message, reason or body, whatever the vendor echoes', () => {
    const secrets = ['sk-canary-0123456789', 'canary-secret-xyz', btoa('api_canarykey:canary-secret-xyz')];
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom(...secrets),
        fc.string(),
        fc.constantFrom('reason', 'message', 'messege', 'error'),
        (status, secret, noise, key) => {
          const e = createProviderError({
            provider: 'scenario',
            status,
            body: { [key]: `${noise}${secret}${noise}`, echo: { [secret]: [secret] } },
            redactor,
          });
          const all = `${e.message} ${String(e.reason)} ${JSON.stringify(e)} ${JSON.stringify(e.body)} ${e.stack}`;
          for (const s of secrets) expect(all).not.toContain(s);
        },
      ),
    );
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.jsonValue(), (status, body) => {
        const e = createProviderError({ provider: 'modelslab', status, body, redactor });
        expect(e).toBeInstanceOf(ProviderError);
        expect(typeof e.code).toBe('string');
        expect(e.message.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('error names', () => {
  it('names the class in name, toString and the first line of the stack', () => {
    const e = createProviderError({ provider: 'scenario', status: 401, body: {}, redactor });
    expect(e.name).toBe('AuthenticationError');
    expect(String(e)).toMatch(/^AuthenticationError: Scenario answered 401/);
    expect(e.stack?.split('\n')[0]).toMatch(/^AuthenticationError: /);
    expect(new ProviderError({ provider: 'modelslab', code: 'x', retryable: false, message: 'm' }).name).toBe(
      'ProviderError',
    );
  });
});
