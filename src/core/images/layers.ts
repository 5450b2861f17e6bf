import { open } from 'node:fs/promises';
import type { ContentReader } from '../content/index.js';
import { NotFound } from '../../errdefs/index.js';
import { hasherDigest, newHasher, type Digest } from '../../util/index.js';
import { decompress, detectCompression, type Compression } from './compression.js';

/** The compression of a stored blob, from its first bytes. */
export async function blobCompression(content: ContentReader, d: Digest): Promise<Compression> {
  let fh;
  try {
    fh = await open(content.path(d), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(`content digest ${d}: not found`, { cause: e });
    throw e;
  }
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return detectCompression(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The diff ID (digest of the uncompressed tar) and uncompressed size of a stored layer blob. */
export async function layerDiffId(
  content: ContentReader,
  d: Digest,
  signal?: AbortSignal,
): Promise<{ diffId: Digest; size: number; compression: Compression }> {
  const compression = await blobCompression(content, d);
  if (compression === 'none') {
    const info = await content.info(d);
    if (!info) throw new NotFound(`content digest ${d}: not found`);
    return { diffId: d, size: info.size, compression };
  }
  const h = newHasher();
  let size = 0;
  const stream = decompress(content.read(d, signal ? { signal } : {}), compression, signal);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { diffId: hasherDigest(h), size, compression };
}
