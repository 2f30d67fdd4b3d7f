import { defineNode, type NodeContext, NodeRunError } from '@loraflow/core';
import { z } from 'zod';
import { inspectImage, parseDataUrl } from '../image-check';
import { NODE_ERROR_CODES, need, signalOf } from '../services';
import { trainingSetType } from '../types';
import type { TrainingImageValue, TrainingSetValue } from '../values';

/**
 * Scenario's documented maximum of training images per model.
 *
 * @example
 * images.length <= MAX_TRAINING_IMAGES;
 */
export const MAX_TRAINING_IMAGES = 50;
/**
 * Edit training types need at least this many before/after pairs.
 *
 * @example
 * pairs.length >= MIN_PAIRS;
 */
export const MIN_PAIRS = 2;

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .optional()
  .describe('A name for the image (defaults to the source).');
/**
 * Where one image comes from: a file (through the host's `files` service), a URL, a data URL or a Scenario asset.
 *
 * @example
 * imageSource.parse({ file: 'examples/images/lantern-1.png' });
 */
export const imageSource = z.union([
  z.object({ file: z.string().min(1).max(1000), name }).strict(),
  z.object({ url: z.url({ protocol: /^https?$/ }), name }).strict(),
  z
    .object({
      dataUrl: z.string().regex(/^data:image\/[a-z0-9.+-]+;base64,/i, 'expected a base64 image data URL'),
      name,
    })
    .strict(),
  z.object({ assetId: z.string().min(1).max(200), name }).strict(),
]);
type ImageSource = z.infer<typeof imageSource>;

const params = z
  .object({
    images: z
      .array(imageSource)
      .max(MAX_TRAINING_IMAGES)
      .default([])
      .describe('Images to train on (5–15 recommended, 50 at most).'),
    pairs: z
      .array(
        z
          .object({
            source: imageSource,
            target: imageSource,
            instruction: z.string().trim().min(1).max(2048),
          })
          .strict(),
      )
      .max(MAX_TRAINING_IMAGES / 2)
      .default([])
      .describe('Before/after pairs with an instruction each, for edit training types.'),
  })
  .superRefine((p, c) => {
    if (p.images.length === 0 && p.pairs.length === 0) {
      c.addIssue({
        code: 'custom',
        path: ['images'],
        message: 'A training set needs images, or before/after pairs for an edit type',
      });
    }
    if (p.images.length > 0 && p.pairs.length > 0) {
      c.addIssue({
        code: 'custom',
        path: ['pairs'],
        message:
          'A training set holds either images or before/after pairs, not both: plain types train on images, edit types on pairs',
      });
    }
    if (p.pairs.length > 0 && p.pairs.length < MIN_PAIRS) {
      c.addIssue({
        code: 'custom',
        path: ['pairs'],
        message: `Edit training types need at least ${MIN_PAIRS} before/after pairs`,
      });
    }
  });

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
  type: 'training.set',
  version: 1,
  title: 'Training set',
  category: 'Training',
  description:
    'Images from files, URLs, data URLs or existing assets — or before/after pairs with instructions for edit types — checked and stored.',
  params,
  outputs: {
    set: {
      type: ({ params: p }) => trainingSetType(p.pairs.length > 0),
      label: 'Training set',
      description: 'training set of images, or of before/after pairs when `pairs` is given',
    },
  },
  cache: 'pure',
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
      throw new NodeRunError(
        NODE_ERROR_CODES.imageUnreadable,
        `The file "${source.file}" at ${where} cannot be read: ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
  }
  const fetcher = ctx.services.has('fetch') ? ctx.services.get<typeof fetch>('fetch') : globalThis.fetch;
  let response: Response;
  try {
    response = await fetcher(source.url, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new NodeRunError(
      NODE_ERROR_CODES.imageUnreadable,
      `The image URL at ${where} cannot be fetched: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
  if (!response.ok) {
    throw new NodeRunError(
      NODE_ERROR_CODES.imageUnreadable,
      `The image URL at ${where} answered HTTP ${response.status}.`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}
