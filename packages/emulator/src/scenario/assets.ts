import { decodeBase64, parseDataUrl, sniffImage } from '../input-image';
import { pathParam, resource } from '../route-kit';
import { json } from '../vendor-errors';
import { body, type C, parse, ReasonError, type ScenarioApi } from './http';
import { uploadAssetSchema } from './schemas';
import { assetView } from './state';
import { storeUpload } from './training-images';

const MIME = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

async function uploadAsset(c: C, api: ScenarioApi) {
  const input = parse(uploadAssetSchema, (await body(c)) ?? {});
  if (input.image === undefined) {
    throw new ReasonError(400, 'Input image is required: the emulator stores uploaded images, not canvases');
  }
  const bytes = input.image.startsWith('data:')
    ? parseDataUrl(input.image)?.bytes
    : decodeBase64(input.image);
  const format = bytes ? sniffImage(bytes) : undefined;
  const expected = 'a base64 PNG, JPEG or WebP image (a data URL or bare base64)';
  if (bytes && bytes.length > 0 && format === undefined)
    throw new ReasonError(400, `Input image must be ${expected}`);
  const id = storeUpload(
    api,
    api.owner(c),
    { name: input.name, mime: format ? MIME[format] : 'image/png', bytes },
    'image',
    expected,
  );
  const asset = api.state.assets.get(id);
  if (asset && input.parentId !== undefined) asset.parentId = input.parentId;
  return json({ asset: assetView(api.core, asset ?? api.visibleAsset(c, id), api.now()) });
}

/** Assets: read one (with a signed download URL), upload an image (an input for img2img and edits). */
export const assets = resource<ScenarioApi>('scenario.assets')
  .get('get', '/assets/:assetId', (c, api) =>
    json({ asset: assetView(api.core, api.visibleAsset(c, pathParam(c, 'assetId')), api.now()) }),
  )
  .post('upload', '/assets', uploadAsset);
