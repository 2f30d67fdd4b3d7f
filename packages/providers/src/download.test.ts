import type { ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DOWNLOAD_DEFAULTS, downloadImage } from './download';
import { AbortedError, DownloadError, ValidationError } from './errors';
import type { FetchLike } from './http';
import { ModelsLabClient } from './modelslab/client';
import { ScenarioClient } from './scenario/client';
import { downloadFailure, scriptedServers } from './test/server';

const serve = scriptedServers(afterEach);
// Registered after the servers' hook, so it runs first: servers close on real timers.
afterEach(() => {
  vi.useRealTimers();
});

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const noRetry = { maxRetries: 0 };
/** The scripted servers listen on loopback, which the default address policy refuses. */
const local = (s: { url: string }) => ({ allowOrigins: [s.url] });

const padded = (n: number) => {
  const bytes = new Uint8Array(n);
  bytes.set(PNG);
  return bytes;
};

/** Sends the headers and a first chunk, then writes nothing more (the body never ends). */
const stalls = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'image/png' });
  res.write(PNG);
};

const failure = downloadFailure;

describe('downloadImage', () => {
  it('returns the bytes and the claimed content type, and sends no credentials', async () => {
    const s = await serve(() => ({ status: 200, body: PNG, headers: { 'content-type': 'image/png' } }));
    const file = await downloadImage(`${s.url}/a.png`, local(s));
    expect([...file.bytes]).toEqual([...PNG]);
    expect(file.mimeType).toBe('image/png');
    expect(s.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('refuses a body whose Content-Length is over maxBytes, once and without retrying', async () => {
    const s = await serve(() => ({ status: 200, body: new Uint8Array(2048) }));
    const e = await failure(downloadImage(`${s.url}/big.png`, { ...local(s), maxBytes: 1024 }));
    expect(e).toMatchObject({ code: 'download.too-large', retryable: false, provider: undefined });
    expect(e.message).toMatch(/maxBytes 1024/);
    expect(s.seen).toHaveLength(1);
  });

  it('stops reading an endless body as soon as it passes maxBytes, and closes the connection', async () => {
    let written = 0;
    let closed = false;
    const s = await serve(() => (res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = new Uint8Array(16 * 1024);
      const pump = () => {
        while (!closed && written < 256 * 1024 * 1024) {
          written += chunk.byteLength;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => {
        closed = true;
      });
      pump();
    });
    const e = await failure(
      downloadImage(`${s.url}/endless.png`, { ...local(s), maxBytes: 64 * 1024, retry: noRetry }),
    );
    expect(e.code).toBe('download.too-large');
    await expect.poll(() => closed).toBe(true);
    // Socket buffers hold a few MiB at most; the 256 MiB the server would send were never asked for.
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives up on a body that never ends after 30 s by default (fake timers)', async () => {
    const s = await serve(() => stalls);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled = false;
    const p = downloadImage(`${s.url}/slow.png`, { ...local(s), retry: noRetry }).finally(() => {
      settled = true;
    });
    const caught = failure(p);
    await expect.poll(() => s.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(DOWNLOAD_DEFAULTS.timeoutMs - 1000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    const e = await caught;
    expect(e).toMatchObject({ code: 'download.timeout', retryable: true });
    expect(e.message).toMatch(/within 30000 ms/);
  });

  it('answers an HTTP error with download.http and its status; retries a 503, not a 404', async () => {
    const sleeps: number[] = [];
    const retry = { maxRetries: 2, random: () => 0.5, sleep: async (ms: number) => void sleeps.push(ms) };
    let busy = 0;
    const s = await serve((r) =>
      r.url === '/gone.png'
        ? { status: 404, body: 'no' }
        : ++busy < 3
          ? { status: 503, body: 'busy' }
          : { status: 200, body: PNG },
    );
    const e = await failure(downloadImage(`${s.url}/gone.png`, { ...local(s), retry }));
    expect(e).toMatchObject({ code: 'download.http', status: 404, retryable: false });
    expect(s.seen).toHaveLength(1);
    const file = await downloadImage(`${s.url}/busy.png`, { ...local(s), retry });
    expect(file.bytes.byteLength).toBe(PNG.byteLength);
    expect(sleeps).toHaveLength(2);
  });

  it('shows the guard every URL, redirects included, and stops where it refuses', async () => {
    const s = await serve((r) =>
      r.url === '/start.png'
        ? { status: 302, body: '', headers: { location: '/hop.png' } }
        : { status: 200, body: PNG, headers: { 'content-type': 'image/png' } },
    );
    const seen: string[] = [];
    const file = await downloadImage(`${s.url}/start.png`, {
      ...local(s),
      guard: (u) => void seen.push(u.pathname),
    });
    expect(seen).toEqual(['/start.png', '/hop.png']);
    expect(file.mimeType).toBe('image/png');

    const before = s.seen.length;
    const refused = await failure(
      downloadImage(`${s.url}/start.png`, {
        ...local(s),
        guard: (u) => {
          if (u.pathname === '/hop.png') throw new Error('a private address');
        },
      }),
    );
    expect(refused).toMatchObject({ code: 'download.refused', retryable: false, requestSent: false });
    expect(refused.message).toMatch(/a private address/);
    expect(s.seen.slice(before).map((r) => r.url)).toEqual(['/start.png']);

    const own = new DownloadError({
      provider: undefined,
      code: 'download.refused',
      retryable: false,
      message: 'no',
    });
    const passed = await downloadImage(`${s.url}/start.png`, {
      ...local(s),
      guard: () => {
        throw own;
      },
    }).catch((x: unknown) => x);
    expect(passed).toBe(own);
  });

  it('refuses a guarded redirect to anything but http(s)', async () => {
    const s = await serve(() => ({
      status: 302,
      body: '',
      headers: { location: 'data:image/png;base64,AAAA' },
    }));
    const e = await failure(downloadImage(`${s.url}/start.png`, { ...local(s), guard: () => undefined }));
    expect(e).toMatchObject({ code: 'download.invalid-url', requestSent: false });
    expect(s.seen).toHaveLength(1);
  });

  it('follows redirects itself when there is no guard', async () => {
    const s = await serve((r) =>
      r.url === '/start.png'
        ? { status: 307, body: '', headers: { location: '/end.png' } }
        : { status: 200, body: PNG },
    );
    await expect(downloadImage(`${s.url}/start.png`, local(s))).resolves.toMatchObject({ bytes: PNG });
    expect(s.seen.map((r) => r.url)).toEqual(['/start.png', '/end.png']);
  });

  it('downloads only http(s) URLs: anything else is download.invalid-url and nothing is sent', async () => {
    let sent = 0;
    const s = await serve(() => ({ status: 200, body: PNG }));
    const counting: FetchLike = async (input, init) => {
      sent++;
      return fetch(input, init);
    };
    const notHttp = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'file:///etc/passwd',
        'data:image/png;base64,AAAA',
        'javascript:alert(1)',
        'ftp://h/a.png',
      ),
      fc.webUrl().map((u) => u.replace(/^https?:/, 'gopher:')),
    );
    await fc.assert(
      fc.asyncProperty(notHttp, async (url) => {
        fc.pre(!/^https?:\/\//i.test(url.trim()));
        const e = await failure(downloadImage(url, { fetch: counting }));
        expect(e).toMatchObject({ code: 'download.invalid-url', requestSent: false });
      }),
      { numRuns: 60 },
    );
    expect(sent).toBe(0);
    expect(s.seen).toHaveLength(0);
  });

  it('rejects with AbortedError when the caller aborts mid-body', async () => {
    const s = await serve(() => stalls);
    const ac = new AbortController();
    const p = downloadImage(`${s.url}/slow.png`, { ...local(s), signal: ac.signal }).catch((x: unknown) => x);
    await expect.poll(() => s.seen).toHaveLength(1);
    ac.abort();
    const e = await p;
    expect(e).toBeInstanceOf(AbortedError);
    expect(e).toMatchObject({ code: 'aborted', retryable: false });
  });

  it('refuses invalid options before sending, with a path', async () => {
    const e = await downloadImage('http://127.0.0.1:9/a.png', { maxBytes: -1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect(e).toMatchObject({ code: 'invalid_request', issues: [{ path: ['maxBytes'] }] });
  });
});

describe('the clients download through the same path', () => {
  it("applies a Scenario client's download limits to asset URLs and never sends Basic auth there", async () => {
    const s = await serve((r) =>
      r.url.startsWith('/v1/assets/')
        ? {
            status: 200,
            body: {
              asset: { id: 'asset_1', url: `${s.url}/files/a.png?sig=SIGNATURE`, mimeType: 'image/png' },
            },
          }
        : { status: 200, body: padded(100), headers: { 'content-type': 'application/octet-stream' } },
    );
    const scenario = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
      download: { maxBytes: 10 },
    });
    const e = await failure(scenario.downloadAsset('asset_1'));
    expect(e).toMatchObject({ code: 'download.too-large', provider: 'scenario' });
    expect(e.message).toContain(`${s.url}/files/a.png`);
    expect(e.message).not.toContain('SIGNATURE');
    const download = s.seen.find((r) => r.url.startsWith('/files/'));
    expect(download?.headers.authorization).toBeUndefined();
    const roomy = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
    });
    // The type comes from the bytes, not from what the server claimed.
    await expect(roomy.assets.download('asset_1')).resolves.toMatchObject({ mimeType: 'image/png' });
  });

  it("takes a call's maxBytes to lower the client's limit for one download, never to raise it", async () => {
    const s = await serve(() => ({
      status: 200,
      body: padded(100),
      headers: { 'content-type': 'application/octet-stream' },
    }));
    const scenario = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
      download: { maxBytes: 50 },
    });
    const roomy = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
    });
    const url = `${s.url}/files/a.png`;
    expect(await failure(roomy.download(url, { maxBytes: 10 }))).toMatchObject({
      code: 'download.too-large',
    });
    expect(await failure(scenario.download(url, { maxBytes: 1000 }))).toMatchObject({
      code: 'download.too-large',
    });
    await expect(roomy.download(url, { maxBytes: 1000 })).resolves.toMatchObject({ mimeType: 'image/png' });
    // the call's options stay strict: a misspelt limit is refused, not ignored
    await expect(roomy.download(url, { maxByte: 10 } as never)).rejects.toBeInstanceOf(ValidationError);
  });

  it('turns a ModelsLab output URL that answers 404 into download.http, without the key', async () => {
    const s = await serve(() => ({ status: 404, body: 'expired' }));
    const ml = new ModelsLabClient({ baseUrl: `${s.url}/api`, apiKey: 'modelslab-KEY-123456' });
    const e = await failure(ml.downloadOutput(`${s.url}/out/1.png`));
    expect(e).toMatchObject({ code: 'download.http', status: 404, provider: 'modelslab' });
    expect(JSON.stringify(s.seen)).not.toContain('modelslab-KEY-123456');
  });
});
