import { sha256, type Digest } from '../../util/index.js';

/** OCI chain IDs: chain(0) = diffId(0); chain(n) = sha256(chain(n-1) + " " + diffId(n)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let prev: Digest | undefined;
  for (const d of diffIds) {
    prev = prev === undefined ? d : sha256(`${prev} ${d}`);
    out.push(prev);
  }
  return out;
}

/** Docker's image ID: the digest of the exact config bytes. */
export function imageId(configBytes: Buffer): Digest {
  return sha256(configBytes);
}
