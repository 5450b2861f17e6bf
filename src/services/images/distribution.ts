import type { Readable } from 'node:stream';
import type { Remote, RemoteRepo } from '../../core/remotes/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { isIndexMediaType, parseIndex, parseManifest, parseReference, type Descriptor, type Platform } from '../../oci/index.js';
import { sha256 } from '../../util/index.js';
import type { RemoteOptions } from './remote-deps.js';

/** What a registry holds under a reference, as `GET /distribution/{name}/json` reports it. */
export interface DistributionInfo {
  /** The manifest (or index) the reference names: media type, digest, size only. */
  descriptor: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  /** The platforms it offers: an index's entries, or the one image's config. */
  platforms: Platform[];
}

const MAX_CONFIG = 8 << 20;

async function readCapped(body: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new InvalidArgument(`image config over ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function platformOf(p: Platform): Platform {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

/**
 * Resolves a reference at its registry without pulling anything (dockerd's distribution inspect):
 * an index gives its entries' platforms; a single manifest gives its config's os and architecture,
 * so its config blob is fetched (and checked against its digest).
 */
export async function inspectDistribution(remote: Remote, refStr: string, opts: RemoteOptions = {}): Promise<DistributionInfo> {
  const ref = parseReference(refStr, { defaultTag: true });
  const repo: RemoteRepo = { domain: ref.domain, path: ref.path };
  const top = await remote.resolve(repo, ref.digest ?? (ref.tag as string), opts.creds, opts.signal);
  const descriptor = { mediaType: top.descriptor.mediaType, digest: top.descriptor.digest, size: top.descriptor.size };
  let isIndex = isIndexMediaType(top.descriptor.mediaType);
  if (!isIndex) {
    try {
      isIndex = Array.isArray((JSON.parse(top.bytes.toString('utf8')) as { manifests?: unknown }).manifests);
    } catch {
      isIndex = false;
    }
  }
  if (isIndex) {
    const index = parseIndex(top.bytes);
    return { descriptor, platforms: index.manifests.flatMap((m) => (m.platform ? [platformOf(m.platform)] : [])) };
  }
  const m = parseManifest(top.bytes);
  const body = await remote.fetchBlob(repo, m.config, opts);
  const bytes = await readCapped(body, MAX_CONFIG);
  if (sha256(bytes) !== m.config.digest) throw new InvalidArgument(`image config of ${refStr} does not match its digest ${m.config.digest}`);
  let cfg: Partial<Platform>;
  try {
    cfg = JSON.parse(bytes.toString('utf8')) as Partial<Platform>;
  } catch (e) {
    throw new InvalidArgument(`image config of ${refStr} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const platforms = cfg.os && cfg.architecture ? [platformOf(cfg as Platform)] : [];
  return { descriptor, platforms };
}
