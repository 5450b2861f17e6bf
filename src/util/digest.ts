import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { InvalidArgument } from '../errdefs/index.js';
import { nodeCrypto } from './crypto.js';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Checks a digest string; only sha256 is accepted, as Docker does for content it stores. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new InvalidArgument(`invalid digest: ${JSON.stringify(s)}`);
  return s;
}

export function sha256(data: string | Buffer | Uint8Array): Digest {
  return `sha256:${nodeCrypto().createHash('sha256').update(data).digest('hex')}`;
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function newHasher(): Hash {
  return nodeCrypto().createHash('sha256');
}

export function hasherDigest(h: Hash): Digest {
  return `sha256:${h.digest('hex')}`;
}

export async function digestFile(path: string, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const h = nodeCrypto().createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}
