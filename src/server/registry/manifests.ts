import { MediaType } from '../../oci/index.js';
import { isDigest, sha256, type Digest } from '../../util/index.js';
import { readSmallBody, sendEmpty, type RegistryRequest } from './context.js';
import { registryError } from './errors.js';
import { parseManifestRef } from './names.js';

/** Manifests larger than this are refused (the spec suggests at least 4 MiB be accepted). */
export const MAX_MANIFEST_BYTES = 4 << 20;

const IMAGE_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);
const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);
const FOREIGN_TYPES = new Set<string>([
  MediaType.dockerForeignLayerGzip,
  MediaType.ociLayerNondistributable,
  MediaType.ociLayerNondistributableGzip,
  MediaType.ociLayerNondistributableZstd,
]);

interface Desc {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: unknown;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** Blobs the repository must hold (config, layers). */
  blobs: Desc[];
  /** Manifests the repository must hold (index entries). */
  manifests: Desc[];
  subject: Desc | null;
  artifactType: string | null;
}

function invalid(message: string, detail?: unknown): Error {
  return registryError('MANIFEST_INVALID', { message: `manifest invalid: ${message}`, ...(detail !== undefined ? { detail } : {}) });
}

function descriptor(v: unknown, what: string): Desc {
  const d = v as Partial<Desc> | null;
  if (typeof d !== 'object' || d === null) throw invalid(`${what} is not a descriptor`);
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw invalid(`${what} has no mediaType`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw invalid(`${what} has an invalid digest ${JSON.stringify(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${what} has an invalid size`);
  return d as Desc;
}

/** Checks a pushed manifest's shape and media type (Content-Type and the document must agree). */
export function parseManifestBody(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('not a JSON object');
  const m = doc as Record<string, unknown>;
  if (m['schemaVersion'] !== 2) throw invalid('unsupported schemaVersion', { schemaVersion: m['schemaVersion'] });
  const header = contentType?.split(';')[0]?.trim();
  const declared = typeof m['mediaType'] === 'string' ? m['mediaType'] : undefined;
  if (declared !== undefined && header !== undefined && header !== '' && header !== declared && (IMAGE_TYPES.has(header) || INDEX_TYPES.has(header))) {
    throw invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  }
  let mediaType = declared ?? (header !== undefined && (IMAGE_TYPES.has(header) || INDEX_TYPES.has(header)) ? header : undefined);
  if (mediaType === undefined) {
    if (Array.isArray(m['manifests'])) mediaType = MediaType.ociIndex;
    else if (m['config'] !== undefined) mediaType = MediaType.ociManifest;
    else throw invalid('unknown manifest type');
  }
  const subject = m['subject'] === undefined ? null : descriptor(m['subject'], 'subject');
  const artifactType = typeof m['artifactType'] === 'string' ? m['artifactType'] : null;
  if (IMAGE_TYPES.has(mediaType)) {
    const config = descriptor(m['config'], 'config');
    if (!Array.isArray(m['layers'])) throw invalid('no layers array');
    const layers = m['layers'].map((l, i) => descriptor(l, `layer ${i}`));
    const needed = [config, ...layers.filter((l) => !(FOREIGN_TYPES.has(l.mediaType) && Array.isArray(l.urls) && l.urls.length > 0))];
    // The referrers API reports a manifest's artifactType, else its config's media type.
    return { mediaType, kind: 'image', blobs: needed, manifests: [], subject, artifactType: artifactType ?? config.mediaType };
  }
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(m['manifests'])) throw invalid('no manifests array');
    const manifests = m['manifests'].map((d, i) => descriptor(d, `manifests[${i}]`));
    return { mediaType, kind: 'index', blobs: [], manifests, subject, artifactType };
  }
  throw invalid(`unsupported media type ${mediaType}`);
}

function manifestDigest(r: RegistryRequest): Digest {
  const ref = parseManifestRef(r.ref);
  if ('digest' in ref) return ref.digest;
  const d = r.deps.meta.tag(r.repo, ref.tag);
  if (d === null) throw registryError('MANIFEST_UNKNOWN', { message: `manifest tagged by "${ref.tag}" is not found`, detail: { tag: ref.tag } });
  return d;
}

/** Does the client's Accept list allow `mediaType`? No Accept, or a wildcard, allows anything. */
function accepts(accept: string | string[] | undefined, mediaType: string): boolean {
  if (accept === undefined) return true;
  const types = (Array.isArray(accept) ? accept : [accept]).flatMap((a) => a.split(',')).map((t) => t.split(';')[0]?.trim() ?? '');
  if (types.every((t) => t === '')) return true;
  return types.some((t) => t === mediaType || t === '*/*' || t === 'application/*' || t === 'application/json');
}

export async function getManifest(r: RegistryRequest): Promise<void> {
  const d = (await r.deps.proxy?.manifest(r.repo, parseManifestRef(r.ref), r.signal)) ?? manifestDigest(r);
  const rec = r.deps.meta.manifest(r.repo, d);
  if (!rec) throw registryError('MANIFEST_UNKNOWN', { detail: { digest: d } });
  if (!accepts(r.req.headers.accept, rec.mediaType)) {
    throw registryError('MANIFEST_UNKNOWN', { message: `manifest of type ${rec.mediaType} found, but the Accept header does not allow it`, detail: { digest: d } });
  }
  const headers = { 'Content-Type': rec.mediaType, 'Content-Length': rec.size, 'Docker-Content-Digest': d, ETag: `"${d}"` };
  if (r.req.method === 'HEAD') {
    r.res.writeHead(200, headers);
    r.res.end();
    return;
  }
  const data = await r.deps.manifests.get(d, MAX_MANIFEST_BYTES);
  r.res.writeHead(200, headers);
  r.res.end(data);
}

export async function putManifest(r: RegistryRequest): Promise<void> {
  const ref = parseManifestRef(r.ref);
  const body = await readSmallBody(r.req, MAX_MANIFEST_BYTES, () =>
    registryError('MANIFEST_TOO_LARGE', { message: `manifest is larger than ${MAX_MANIFEST_BYTES} bytes` }),
  );
  const parsed = parseManifestBody(body, r.req.headers['content-type']);
  const digest = sha256(body);
  if ('digest' in ref && ref.digest !== digest) {
    throw registryError('DIGEST_INVALID', { message: `manifest digest ${digest} does not match ${ref.digest}`, detail: { digest: ref.digest } });
  }
  // The bytes go first: a manifest record never names content that is not there.
  await r.deps.content.write(body, { digest, size: body.length }, { signal: r.signal });
  r.deps.manifests.put(digest, body);
  const missing = r.deps.meta.putManifestChecked(
    { repo: r.repo, digest, mediaType: parsed.mediaType, size: body.length, artifactType: parsed.artifactType, subject: parsed.subject?.digest ?? null },
    parsed.blobs.map((b) => b.digest),
    parsed.manifests.map((m) => m.digest),
    'tag' in ref ? ref.tag : null,
  );
  if (missing !== null) {
    throw registryError('MANIFEST_BLOB_UNKNOWN', { message: `blob unknown to registry: ${missing}`, detail: { digest: missing } });
  }
  sendEmpty(r.res, 201, {
    Location: `/v2/${r.repo}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(parsed.subject ? { 'OCI-Subject': parsed.subject.digest } : {}),
  });
}

/** DELETE by digest removes the manifest and its tags; DELETE by tag removes only the tag (OCI 1.1). */
export function deleteManifest(r: RegistryRequest): void {
  const ref = parseManifestRef(r.ref);
  if ('tag' in ref) {
    if (!r.deps.meta.deleteTag(r.repo, ref.tag)) throw registryError('MANIFEST_UNKNOWN', { detail: { tag: ref.tag } });
  } else if (!r.deps.meta.deleteManifest(r.repo, ref.digest)) {
    throw registryError('MANIFEST_UNKNOWN', { detail: { digest: ref.digest } });
  }
  sendEmpty(r.res, 202);
}
