import { z } from 'zod/mini';
import { defineSpec } from '../spec';
import { trainingSetType } from '../types';

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
  .optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)))
  .check(z.describe('A name for the image (defaults to the source).'));
/**
 * Where one image comes from: a file (through the host's `files` service), a URL, a data URL or a Scenario asset.
 *
 * @example
 * imageSource.parse({ file: 'examples/images/lantern-1.png' });
 */
export const imageSource = z.union(
  [
    z.strictObject({ file: z.string().check(z.minLength(1), z.maxLength(1000)), name }),
    z.strictObject({ url: z.url({ protocol: /^https?$/ }), name }),
    z.strictObject({
      dataUrl: z
        .string()
        .check(z.regex(/^data:image\/[a-z0-9.+-]+;base64,/i, 'expected a base64 image data URL')),
      name,
    }),
    z.strictObject({ assetId: z.string().check(z.minLength(1), z.maxLength(200)), name }),
    // zod's own sentence for a union that no option fits is a bare "Invalid input"
  ],
  'an image source is { file }, { url }, { dataUrl } or { assetId }, each a string, with an optional name',
);
/**
 * One image source of a training set's params.
 *
 * @example
 * const s: ImageSource = { file: 'examples/images/lantern-1.png' };
 */
export type ImageSource = z.infer<typeof imageSource>;

const params = z
  .object({
    images: z
      ._default(z.array(imageSource).check(z.maxLength(MAX_TRAINING_IMAGES)), [])
      .check(z.describe('Images to train on (5–15 recommended, 50 at most).')),
    pairs: z
      ._default(
        z
          .array(
            z.strictObject({
              source: imageSource,
              target: imageSource,
              instruction: z.string().check(z.trim(), z.minLength(1), z.maxLength(2048)),
            }),
          )
          .check(z.maxLength(MAX_TRAINING_IMAGES / 2)),
        [],
      )
      .check(z.describe('Before/after pairs with an instruction each, for edit training types.')),
  })
  .check(
    z.superRefine((p, c) => {
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
    }),
  );

/**
 * What `training.set` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...trainingSetSpec, run });
 */
export const trainingSetSpec = defineSpec({
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
});
