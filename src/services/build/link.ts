import type { ImageService, StoredImage } from '../images/index.js';
import { layerAt } from './cache-from.js';

type Layer = StoredImage['layers'][number];
type History = NonNullable<Awaited<ReturnType<ImageService['config']>>['history']>[number];

/**
 * COPY --link makes its layer apart from the stage's base (in an empty rootfs), so a layer made
 * by the same step text (`COPY --link <checksum> in <dest>`) on any base can be put on this one:
 * the lookup goes over the local images' histories for that step and its layer blob.
 */
export async function findLinkedLayer(images: ImageService, createdBy: string): Promise<{ layer: Layer; entry: History } | null> {
  for (const image of images.list()) {
    const config = await images.config(image).catch(() => null);
    const history = config?.history ?? [];
    for (let i = history.length - 1; i >= 0; i--) {
      const entry = history[i] as History;
      if (entry.created_by !== createdBy || entry.empty_layer) continue;
      const layer = layerAt({ image, config: config as NonNullable<typeof config> }, i);
      if (layer && (await images.hasBlob(layer.digest))) return { layer, entry };
    }
  }
  return null;
}
