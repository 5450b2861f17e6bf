import { InvalidArgument } from '../errdefs/index.js';
import { isDigest } from '../util/index.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.js';

type Json = Record<string, unknown>;

function parseObject(bytes: Buffer | string, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw new InvalidArgument(`invalid ${what}: not valid JSON`, { cause: e });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgument(`invalid ${what}: not a JSON object`);
  return v as Json;
}

export function checkDescriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null) throw new InvalidArgument(`invalid ${what}: descriptor is not an object`);
  if (typeof d.mediaType !== 'string') throw new InvalidArgument(`invalid ${what}: descriptor has no media type`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) {
    throw new InvalidArgument(`invalid ${what}: unsupported or invalid digest ${JSON.stringify(d.digest)}`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new InvalidArgument(`invalid ${what}: descriptor has an invalid size`);
  }
  return d as Descriptor;
}

/** Parses an OCI image manifest or Docker schema2 manifest. */
export function parseManifest(bytes: Buffer | string): ImageManifest {
  const m = parseObject(bytes, 'image manifest');
  if (m['schemaVersion'] !== 2) throw new InvalidArgument('invalid image manifest: unsupported schema version');
  if (!Array.isArray(m['layers'])) throw new InvalidArgument('invalid image manifest: no layers array');
  checkDescriptor(m['config'], 'image manifest config');
  for (const l of m['layers']) checkDescriptor(l, 'image manifest layer');
  return m as unknown as ImageManifest;
}

/** Parses an OCI image index or Docker manifest list. */
export function parseIndex(bytes: Buffer | string): ImageIndex {
  const m = parseObject(bytes, 'image index');
  if (m['schemaVersion'] !== 2) throw new InvalidArgument('invalid image index: unsupported schema version');
  if (!Array.isArray(m['manifests'])) throw new InvalidArgument('invalid image index: no manifests array');
  for (const d of m['manifests']) checkDescriptor(d, 'image index entry');
  return m as unknown as ImageIndex;
}

/** Parses an image config, checking the fields berth relies on. */
export function parseImageConfig(bytes: Buffer | string): ImageConfig {
  const c = parseObject(bytes, 'image config');
  const rootfs = c['rootfs'] as { type?: unknown; diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new InvalidArgument('invalid image config: missing rootfs.diff_ids');
  }
  for (const d of rootfs.diff_ids) {
    if (typeof d !== 'string' || !isDigest(d)) throw new InvalidArgument(`invalid image config: bad diff ID ${JSON.stringify(d)}`);
  }
  if (typeof c['architecture'] !== 'string' || typeof c['os'] !== 'string') {
    throw new InvalidArgument('invalid image config: missing architecture or os');
  }
  return c as unknown as ImageConfig;
}

/** Which of manifest/index a JSON document is, from its mediaType or (for older documents) its shape. */
export function sniffManifestKind(bytes: Buffer | string): 'manifest' | 'index' | 'unknown' {
  let m: Json;
  try {
    m = parseObject(bytes, 'manifest');
  } catch {
    return 'unknown';
  }
  const mt = m['mediaType'];
  if (mt === 'application/vnd.oci.image.index.v1+json' || mt === 'application/vnd.docker.distribution.manifest.list.v2+json') return 'index';
  if (mt === 'application/vnd.oci.image.manifest.v1+json' || mt === 'application/vnd.docker.distribution.manifest.v2+json') return 'manifest';
  if (Array.isArray(m['manifests'])) return 'index';
  if (m['config'] !== undefined && Array.isArray(m['layers'])) return 'manifest';
  return 'unknown';
}
