import type { ImageRecord } from '../metadata/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { LoadedImage } from './archive-read.js';

/** The metadata record for a loaded image (its ID is the config digest, as in Docker). */
export function toImageRecord(img: LoadedImage, loadedAt: Date = new Date()): ImageRecord {
  const rec: ImageRecord = {
    id: img.configDigest,
    configDigest: img.configDigest,
    layers: img.layers.map((l) => ({ digest: l.digest, diffId: l.diffId, size: l.size, mediaType: l.mediaType })),
    created: img.config.created ?? loadedAt.toISOString(),
    size: img.layers.reduce((n, l) => {
      if (l.uncompressedSize === undefined) throw new InvalidArgument('layer sizes are unknown: read the archive with verifyDiffIds');
      return n + l.uncompressedSize;
    }, 0),
  };
  if (img.manifestDigest !== undefined) rec.manifestDigest = img.manifestDigest;
  if (img.manifestMediaType !== undefined) rec.manifestMediaType = img.manifestMediaType;
  return rec;
}
