import { defineNode, NodeRunError } from '@loraflow/core';
import { NODE_ERROR_CODES, need } from '../services';
import { imagePreviewSpec, imageSaveSpec } from '../specs/image';
import type { ImagesValue } from '../values';

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/**
 * `image.preview`: an output node that shows images in the editor and keeps them in the run
 * result (their blobs are in the run's store).
 *
 * @example
 * { "id": "show", "type": "image.preview", "params": {} }
 */
export const imagePreview = defineNode({
  ...imagePreviewSpec,
  async run(ctx) {
    const images: ImagesValue = ctx.inputs.images.flatMap((item) => item.value);
    return { images };
  },
});

/**
 * `image.save`: writes images through the host's `files` service (the pack never touches a
 * disk itself, so it also runs in a browser), named `{prefix}-{n}.{ext}`.
 *
 * @example
 * { "id": "save", "type": "image.save", "params": { "prefix": "fox" } }
 */
export const imageSave = defineNode({
  ...imageSaveSpec,
  async run(ctx) {
    const images: ImagesValue = ctx.inputs.images.flatMap((item) => item.value);
    if (images.length === 0)
      throw new NodeRunError(NODE_ERROR_CODES.nothingToSave, 'There are no images to save.');
    const files = need(ctx, 'files');
    if (!files.write) {
      throw new NodeRunError(
        NODE_ERROR_CODES.serviceMissing,
        'The host\'s "files" service cannot write (it has no write method); use image.preview, or give the service a write method.',
      );
    }
    for (const [i, image] of images.entries()) {
      const bytes = await ctx.blobs.get(image.blob);
      if (!bytes)
        throw new NodeRunError(
          NODE_ERROR_CODES.blobMissing,
          `Image ${i + 1} is missing from the store; run its generator again.`,
        );
      const path = `${ctx.params.prefix}-${i + 1}.${EXTENSIONS[image.blob.mime] ?? 'bin'}`;
      await files.write(path, bytes, image.blob.mime);
      ctx.progress((i + 1) / images.length, `saved ${path}`);
    }
    return { images };
  },
});
