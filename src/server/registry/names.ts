import { isDigest, type Digest } from '../../util/index.js';
import { registryError } from './errors.js';

// The distribution spec's grammar, checked on the raw (undecoded) path so `%2e%2e` never becomes `..`.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const MAX_NAME = 255;

export function checkName(name: string): string {
  if (name.length > MAX_NAME || !NAME_RE.test(name)) {
    throw registryError('NAME_INVALID', { message: 'invalid repository name', detail: { name } });
  }
  return name;
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

export function checkTag(tag: string): string {
  if (!isTag(tag)) throw registryError('TAG_INVALID', { message: `invalid tag ${JSON.stringify(tag)}`, detail: { tag } });
  return tag;
}

export function checkDigestParam(s: string | null, reason: 'DIGEST_INVALID' | 'BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN' = 'DIGEST_INVALID'): Digest {
  if (s === null || !isDigest(s)) throw registryError(reason, { message: `invalid digest ${JSON.stringify(s ?? '')}`, detail: { digest: s } });
  return s;
}

/** A manifest reference is a tag or a digest. */
export function parseManifestRef(ref: string): { digest: Digest } | { tag: string } {
  if (ref.includes(':')) {
    if (!isDigest(ref)) throw registryError('DIGEST_INVALID', { message: `invalid digest ${JSON.stringify(ref)}`, detail: { digest: ref } });
    return { digest: ref };
  }
  return { tag: checkTag(ref) };
}
