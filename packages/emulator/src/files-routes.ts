import type { Core } from './context';
import { lookupFile } from './files';
import { type Mounted, resource } from './route-kit';

/** The emulator's CDN: asset and generation files, served without credentials as the vendors' are. */
const files = resource<Core>('files').get('get', '/files/*', (c, core) => {
  const url = new URL(c.req.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice('/files/'.length));
  } catch {
    return new Response('Not Found', { status: 404 });
  }
  const found = lookupFile(core.files, path, url.searchParams, core.clock.now());
  if (!found.ok) {
    const headers = found.status === 403 ? { 'content-type': 'text/plain' } : undefined;
    return new Response(found.text, { status: found.status, ...(headers ? { headers } : {}) });
  }
  const bytes = found.file.bytes();
  return new Response(bytes.slice().buffer, {
    headers: {
      'content-type': found.file.mime,
      'content-length': String(bytes.length),
      'cache-control': 'private, max-age=3600',
    },
  });
});

/** The files API, mounted at the root. */
export const FILES_API: Mounted<Core> = { mount: '', resources: [files] };
