import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadImage } from './download';
import { ScenarioClient } from './scenario/client';
import { downloadFailure, scriptedServers } from './test/server';
import { forbiddenRange, literalRange, loopbackOrigin } from './url-policy';

const serve = scriptedServers(afterEach);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const png = () => ({ status: 200, body: PNG, headers: { 'content-type': 'image/png' } });
const noRetry = { maxRetries: 0 };

const failure = downloadFailure;

const byte = fc.integer({ min: 0, max: 255 });
const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
/** Addresses in ranges that must never be downloaded from, written as a URL host. */
const nonPublic = fc.oneof(
  fc.tuple(byte, byte, byte).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  fc.tuple(byte, byte, byte).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.tuple(fc.integer({ min: 16, max: 31 }), byte, byte).map(([a, b, c]) => `172.${a}.${b}.${c}`),
  fc.tuple(byte, byte).map(([a, b]) => `192.168.${a}.${b}`),
  fc.tuple(byte, byte).map(([a, b]) => `169.254.${a}.${b}`),
  fc.tuple(fc.integer({ min: 224, max: 239 }), byte, byte).map(([a, b, c]) => `${a}.${b}.${c}.1`),
  fc.constantFrom(
    '0.0.0.0',
    '[::]',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:a9fe:a9fe]',
    '[::ffff:10.1.2.3]',
  ),
  fc.tuple(hex, hex).map(([a, b]) => `[fe80::${a}:${b}]`),
  fc.tuple(hex, hex).map(([a, b]) => `[fd00::${a}:${b}]`),
  fc.tuple(hex, hex).map(([a, b]) => `[ff02::${a}:${b}]`),
);

describe('the address policy of downloads', () => {
  it('refuses loopback, private, link-local, multicast and unspecified hosts with url.forbidden, sending nothing', async () => {
    const s = await serve(png);
    const port = new URL(s.url).port;
    await fc.assert(
      fc.asyncProperty(nonPublic, async (host) => {
        const e = await failure(downloadImage(`http://${host}:${port}/a.png`, { retry: noRetry }));
        expect(e).toMatchObject({ code: 'url.forbidden', retryable: false, requestSent: false });
      }),
      { numRuns: 80 },
    );
    // The one reachable case (127.0.0.1 is the server) was refused too: it saw nothing.
    const e = await failure(downloadImage(`${s.url}/a.png`));
    expect(e.code).toBe('url.forbidden');
    expect(e.message).toMatch(/loopback address/);
    expect(s.seen).toHaveLength(0);
  });

  it('refuses a host name that DNS resolves to loopback, checked by the socket that connects', async () => {
    const s = await serve(png);
    const name = hostname();
    // This machine's own name resolves to a loopback or private address (/etc/hosts), never a public one.
    const resolved = await lookup(name, { all: true });
    expect(resolved.every((a) => forbiddenRange(a.address) !== undefined)).toBe(true);
    const e = await failure(
      downloadImage(`http://${name}:${new URL(s.url).port}/a.png`, { retry: { maxRetries: 2 } }),
    );
    expect(e).toMatchObject({ code: 'url.forbidden', retryable: false });
    // With a fetch of the caller's own, the name is resolved and checked before that fetch is called.
    const own = await failure(
      downloadImage(`http://${name}:${new URL(s.url).port}/a.png`, {
        fetch: globalThis.fetch,
        retry: noRetry,
      }),
    );
    expect(own.code).toBe('url.forbidden');
    expect(s.seen).toHaveLength(0);
  });

  it('refuses a redirect from an allowed origin to another loopback origin, which sees nothing', async () => {
    const inner = await serve(png);
    const outer = await serve(() => ({
      status: 302,
      body: '',
      headers: { location: `${inner.url}/secret.png` },
    }));
    const e = await failure(downloadImage(`${outer.url}/a.png`, { allowOrigins: [outer.url] }));
    expect(e.code).toBe('url.forbidden');
    expect(outer.seen).toHaveLength(1);
    expect(inner.seen).toHaveLength(0);
  });

  it("lets a client download from its own loopback base URL's origin (the emulator), and from no other", async () => {
    const other = await serve(png);
    const s = await serve((r) =>
      r.url.startsWith('/v1/assets/asset_own')
        ? { status: 200, body: { asset: { id: 'asset_own', url: `${s.url}/files/a.png` } } }
        : r.url.startsWith('/v1/assets/')
          ? { status: 200, body: { asset: { id: 'asset_other', url: `${other.url}/files/a.png` } } }
          : png(),
    );
    const scenario = new ScenarioClient({
      baseUrl: `${s.url}/v1`,
      apiKey: 'api_key',
      apiSecret: 'secret_value',
    });
    await expect(scenario.downloadAsset('asset_own')).resolves.toMatchObject({ mimeType: 'image/png' });
    const e = await failure(scenario.downloadAsset('asset_other'));
    expect(e).toMatchObject({ code: 'url.forbidden', provider: 'scenario' });
    expect(other.seen).toHaveLength(0);
  });

  it('downloads from any address when the host says addresses: any', async () => {
    const s = await serve(png);
    await expect(downloadImage(`${s.url}/a.png`, { addresses: 'any' })).resolves.toMatchObject({
      mimeType: 'image/png',
    });
  });

  it('classifies addresses: IPv4-mapped IPv6 as the IPv4 it carries, public unicast as allowed', () => {
    expect(forbiddenRange('::ffff:192.168.1.1')).toBe('private');
    expect(forbiddenRange('100.64.0.1')).toBe('carrierGradeNat');
    expect(forbiddenRange('93.184.216.34')).toBeUndefined();
    expect(forbiddenRange('2606:4700::1111')).toBeUndefined();
    expect(forbiddenRange('not an address')).toBe('invalid');
    expect(literalRange(new URL('http://api.localhost/'))).toBe('loopback');
    expect(literalRange(new URL('http://0x7f.1/'))).toBe('loopback');
    expect(loopbackOrigin('http://[::1]:4010/scenario/v1')).toBe('http://[::1]:4010');
    expect(loopbackOrigin('https://api.cloud.scenario.com/v1')).toBeUndefined();
  });
});

describe('images are images', () => {
  it('refuses an SVG whatever the server claims, with download.not-image', async () => {
    const s = await serve(() => ({
      status: 200,
      body: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>',
      headers: { 'content-type': 'image/svg+xml' },
    }));
    const e = await failure(downloadImage(`${s.url}/thumb.svg`, { allowOrigins: [s.url], retry: noRetry }));
    expect(e).toMatchObject({ code: 'download.not-image', retryable: false });
    expect(e.message).toMatch(/image\/svg\+xml/);
  });

  it('takes the type from the bytes, not from the Content-Type header', async () => {
    const s = await serve(() => ({ status: 200, body: PNG, headers: { 'content-type': 'text/html' } }));
    const file = await downloadImage(`${s.url}/a`, { allowOrigins: [s.url] });
    expect(file.mimeType).toBe('image/png');
  });
});
