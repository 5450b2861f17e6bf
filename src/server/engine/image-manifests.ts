import type { ContainerService, ImageService, StoredImage } from '../../services/index.js';
import type { ImageConfigJson } from '../../services/index.js';

/**
 * The `Manifests` of `GET /images/json?manifests=1` (API 1.47, docker image ls --tree): berth keeps
 * one platform's manifest per image, so an image lists that one manifest, or none when it was made
 * here (import, commit) without one.
 */
export async function manifestSummaries(images: ImageService, containers: ContainerService, img: StoredImage, cfg: ImageConfigJson): Promise<Record<string, unknown>[]> {
  const m = await images.manifestOf(img);
  if (!m) return [];
  const content = m.size + m.configSize + img.layers.reduce((n, l) => n + l.size, 0);
  const unpacked = img.size;
  return [
    {
      ID: m.digest,
      Descriptor: { mediaType: m.mediaType, digest: m.digest, size: m.size },
      Available: true,
      Size: { Total: content + unpacked, Content: content },
      Kind: 'image',
      ImageData: {
        Platform: {
          architecture: cfg.architecture ?? '',
          os: cfg.os ?? '',
          ...(cfg.variant ? { variant: cfg.variant } : {}),
        },
        Size: { Unpacked: unpacked },
        Containers: containers.list().filter((c) => c.imageId === img.id).map((c) => c.id),
      },
    },
  ];
}
