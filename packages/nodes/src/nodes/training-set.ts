import { defineNode, type NodeContext, NodeRunError } from '@loraflow/core';
import { DownloadError, type DownloadLimits, downloadImage, type FetchLike } from '@loraflow/providers';
import { inspectImage, parseDataUrl } from '../image-check';
import { NODE_ERROR_CODES, need, signalOf } from '../services';
import { type ImageSource, trainingSetSpec } from '../specs/training-set';
import type { TrainingImageValue, TrainingSetValue } from '../values';

const label = (s: ImageSource, i: number): string =>
  s.name ??
  ('file' in s
    ? (s.file.split(/[\\/]/).pop() ?? s.file)
    : 'url' in s
      ? new URL(s.url).pathname.split('/').pop() || `image-${i + 1}`
      : 'assetId' in s
        ? s.assetId
        : `image-${i + 1}`);

/**
 * `training.set`: the images (or before/after pairs with instructions) a LoRA is trained on.
 * Every image is read, checked to decode (PNG fully; JPEG and WebP by header and size) and
 * stored in the run's store; existing Scenario assets are passed by id.
 *
 * @example
 * { "id": "set", "type": "training.set", "params": { "images": [ { "file": "examples/cat-1.png" }, { "assetId": "asset_abc" } ] } }
 */
export const trainingSet = defineNode({
  ...trainingSetSpec,
  async run(ctx) {
    const load = async (source: ImageSource, where: string, i: number): Promise<TrainingImageValue> => {
      const name = label(source, i);
      if ('assetId' in source) return { name, assetId: source.assetId };
      const bytes = await readBytes(ctx, source, where);
      const check = inspectImage(bytes);
      if (!check.ok) {
        throw new NodeRunError(
          NODE_ERROR_CODES.imageUndecodable,
          `The image at ${where} (${name}) cannot be used: ${check.reason}.`,
        );
      }
      const blob = await ctx.blobs.put(bytes, check.info.mime);
      return { name, blob, width: check.info.width, height: check.info.height };
    };
    const p = ctx.params;
    const total = p.images.length + p.pairs.length * 2;
    let done = 0;
    const step = () => ctx.progress(++done / total, `read ${done} of ${total} images`);
    const images: TrainingImageValue[] = [];
    for (const [i, s] of p.images.entries()) {
      images.push(await load(s, `params.images[${i}]`, i));
      step();
    }
    const pairList: TrainingSetValue['pairList'] = [];
    for (const [i, pair] of p.pairs.entries()) {
      const source = await load(pair.source, `params.pairs[${i}].source`, i);
      step();
      const target = await load(pair.target, `params.pairs[${i}].target`, i);
      step();
      pairList.push({ source, target, instruction: pair.instruction });
    }
    const set: TrainingSetValue = { pairs: p.pairs.length > 0, images, pairList };
    return { set };
  },
});

async function readBytes(
  ctx: Pick<NodeContext, 'services' | 'signal'>,
  source: Exclude<ImageSource, { assetId: string }>,
  where: string,
): Promise<Uint8Array> {
  if ('dataUrl' in source) {
    const parsed = parseDataUrl(source.dataUrl);
    if (!parsed.ok)
      throw new NodeRunError(
        NODE_ERROR_CODES.imageUnreadable,
        `The data URL at ${where} cannot be read: ${parsed.reason}.`,
      );
    return parsed.bytes;
  }
  const signal = signalOf(ctx);
  if ('file' in source) {
    const files = need(ctx, 'files');
    try {
      return await files.read(source.file, { signal });
    } catch (error) {
      // A host's refusal keeps its own code (files.outside-root, files.disabled, files.too-large...).
      const code = (error as { code?: unknown }).code;
      throw new NodeRunError(
        typeof code === 'string' && code.startsWith('files.') ? code : NODE_ERROR_CODES.imageUnreadable,
        `The file "${source.file}" at ${where} cannot be read: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}.`,
      );
    }
  }
  return fetchImage(ctx, source.url, where, signal);
}

/** A training image given by URL: the providers' one download path, under the address policy and limits. */
async function fetchImage(
  ctx: Pick<NodeContext, 'services'>,
  url: string,
  where: string,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const limits = ctx.services.has('downloads') ? ctx.services.get<DownloadLimits>('downloads') : {};
  const fetch = ctx.services.has('fetch') ? { fetch: ctx.services.get<FetchLike>('fetch') } : {};
  try {
    return (await downloadImage(url, { ...limits, ...fetch, signal })).bytes;
  } catch (error) {
    if (signal.aborted || !(error instanceof DownloadError)) throw error;
    if (error.code === 'url.forbidden') {
      throw new NodeRunError(
        NODE_ERROR_CODES.urlForbidden,
        `The image URL at ${where} is not allowed: ${error.message}`,
      );
    }
    if (error.code === 'download.not-image') {
      throw new NodeRunError(
        NODE_ERROR_CODES.imageUndecodable,
        `The image URL at ${where} cannot be used: ${error.message}`,
      );
    }
    throw new NodeRunError(
      NODE_ERROR_CODES.imageUnreadable,
      error.code === 'download.http'
        ? `The image URL at ${where} answered HTTP ${error.status}.`
        : `The image URL at ${where} cannot be fetched: ${error.message}`,
    );
  }
}
