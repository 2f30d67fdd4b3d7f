import { z } from 'zod/mini';
import { defineSpec } from '../spec';
import { imagesType } from '../types';

/**
 * What `image.preview` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...imagePreviewSpec, run });
 */
export const imagePreviewSpec = defineSpec({
  type: 'image.preview',
  version: 1,
  title: 'Preview images',
  category: 'Output',
  description: 'Shows images and keeps them in the run result.',
  params: z.object({}),
  inputs: { images: { type: imagesType(), multiple: true, label: 'Images' } },
  outputs: { images: { type: imagesType(), label: 'Images' } },
  cache: 'pure',
});

/**
 * What `image.save` declares, without its run (a `NodeSpec`).
 *
 * @example
 * defineNode({ ...imageSaveSpec, run });
 */
export const imageSaveSpec = defineSpec({
  type: 'image.save',
  version: 1,
  title: 'Save images',
  category: 'Output',
  description: "Writes images through the host's files service, as {prefix}-{n}.png.",
  params: z.object({
    prefix: z
      ._default(
        z.string().check(
          z.minLength(1),
          z.maxLength(100),
          z.regex(/^[\w.-]+$/, 'use letters, digits, ".", "_" or "-" only'),
          z.refine((s) => s !== '.' && s !== '..', 'a prefix cannot be "." or ".."'),
        ),
        'image',
      )
      .check(z.describe('File name prefix.')),
  }),
  inputs: { images: { type: imagesType(), multiple: true, label: 'Images' } },
  outputs: { images: { type: imagesType(), label: 'Images' } },
  // Saving is an effect on the host's disk: it happens on every run.
  cache: 'never',
});
