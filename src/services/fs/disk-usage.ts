import type { ContainerRecord } from '../../core/metadata/index.js';
import type { Digest } from '../../util/index.js';
import type { ImageService, StoredImage } from '../images/index.js';

export interface ImageUsage {
  image: StoredImage;
  /** All its layers' sizes. */
  size: number;
  /** The part of `size` in layers that other images use too. */
  sharedSize: number;
  containers: number;
}

export interface ContainerUsage {
  container: ContainerRecord;
  sizeRw: number;
  sizeRootFs: number;
}

export interface DiskUsage {
  /** Every distinct layer once. */
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
}

/**
 * Image and layer accounting for `system df`: a layer (by chain ID) counts once in layersSize, in
 * every image's size, and in sharedSize where more than one image stands on it — so the totals add up:
 * layersSize = Σ unique sizes + Σ distinct shared layers.
 */
export function imageUsage(images: ImageService, containers: ContainerRecord[]): { layersSize: number; images: ImageUsage[] } {
  const layerSize = new Map<Digest, number>();
  const layerUsers = new Map<Digest, number>();
  const all = images.list();
  const chains = new Map<Digest, Digest[]>();
  for (const img of all) {
    const ids = images.chainIdsOf(img);
    chains.set(img.id, ids);
    ids.forEach((c, i) => {
      layerSize.set(c, img.layers[i]?.size ?? 0);
      layerUsers.set(c, (layerUsers.get(c) ?? 0) + 1);
    });
  }
  const out = all.map((image): ImageUsage => {
    const ids = chains.get(image.id) ?? [];
    let size = 0;
    let sharedSize = 0;
    for (const c of ids) {
      const s = layerSize.get(c) ?? 0;
      size += s;
      if ((layerUsers.get(c) ?? 0) > 1) sharedSize += s;
    }
    return { image, size, sharedSize, containers: containers.filter((c) => c.imageId === image.id).length };
  });
  let layersSize = 0;
  for (const s of layerSize.values()) layersSize += s;
  return { layersSize, images: out };
}
