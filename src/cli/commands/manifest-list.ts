import { InvalidArgument, NotFound, Unavailable } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';
import {
  configPlatform, credentialsFor, fetchManifest, fullName, parseRef, platformJson, RegistryReader, sha256Of,
  type Platform, type Ref,
} from './manifest.js';
import { readEntry, readList, removeList, writeEntry, type StoredManifest } from './manifest-store.js';

/**
 * `berth manifest create/annotate/push/rm`, as the docker CLI has them: the CLI talks to the
 * registries itself (berthd holds no list; the lists live in the docker CLI's local store, and
 * the credentials in the CLI's config), so a list made by one CLI is seen, annotated and pushed
 * by the other.
 */

const LISTS = new Set(['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json']);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The os/arch pairs Go (and so the docker CLI) knows. */
const OS_ARCH = new Set(
  [
    'aix/ppc64', 'android/386', 'android/amd64', 'android/arm', 'android/arm64', 'darwin/amd64', 'darwin/arm64',
    'dragonfly/amd64', 'freebsd/386', 'freebsd/amd64', 'freebsd/arm', 'freebsd/arm64', 'illumos/amd64', 'ios/arm64',
    'js/wasm', 'linux/386', 'linux/amd64', 'linux/arm', 'linux/arm64', 'linux/loong64', 'linux/mips', 'linux/mipsle',
    'linux/mips64', 'linux/mips64le', 'linux/ppc64', 'linux/ppc64le', 'linux/riscv64', 'linux/s390x', 'netbsd/386',
    'netbsd/amd64', 'netbsd/arm', 'netbsd/arm64', 'openbsd/386', 'openbsd/amd64', 'openbsd/arm', 'openbsd/arm64',
    'plan9/386', 'plan9/amd64', 'plan9/arm', 'solaris/amd64', 'wasip1/wasm', 'windows/386', 'windows/amd64',
    'windows/arm', 'windows/arm64',
  ],
);

async function readerFor(ctx: CliContext, ref: Ref, insecure: boolean): Promise<RegistryReader> {
  return new RegistryReader(ref.domain, await credentialsFor(ctx, ref.domain), insecure);
}

async function run(ctx: CliContext, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
}

export function manifestCreate(ctx: CliContext, args: string[], opts: { amend?: boolean; insecure?: boolean }): Promise<number> {
  return run(ctx, async () => {
    if (args.length < 2) throw new InvalidArgument('"manifest create" requires at least 2 arguments');
    const list = parseRef(args[0] as string);
    if ((await readList(ctx.env, fullName(list))) !== undefined && !opts.amend) {
      throw new InvalidArgument('refusing to amend an existing manifest list with no --amend flag');
    }
    for (const arg of args.slice(1)) {
      const ref = parseRef(arg);
      const reader = await readerFor(ctx, ref, opts.insecure === true);
      const m = await fetchManifest(reader, ref, ref.ref);
      if (LISTS.has(m.mediaType)) throw new InvalidArgument(`${fullName(ref)} is a manifest list`);
      const doc = JSON.parse(m.bytes.toString('utf8')) as { config?: { digest: string } };
      const p = doc.config ? await configPlatform(reader, ref, doc.config.digest) : undefined;
      await writeEntry(ctx.env, fullName(list), fullName(ref), {
        Ref: fullName(ref),
        Descriptor: { mediaType: m.mediaType, digest: sha256Of(m.bytes), size: m.bytes.length, ...(p ? { platform: platformJson(p) } : {}) },
        Raw: m.bytes.toString('base64'),
        [m.mediaType === OCI_MANIFEST ? 'OCIManifest' : 'SchemaV2Manifest']: doc,
      });
    }
    ctx.out(`Created manifest list ${fullName(list)}\n`);
  });
}

export interface AnnotateOptions { os?: string; arch?: string; variant?: string; osFeatures?: string[]; osVersion?: string }

export function manifestAnnotate(ctx: CliContext, args: string[], opts: AnnotateOptions): Promise<number> {
  return run(ctx, async () => {
    if (args.length !== 2) throw new InvalidArgument('"manifest annotate" requires exactly 2 arguments');
    const list = fullName(parseRef(args[0] as string));
    const image = fullName(parseRef(args[1] as string));
    const entry = await readEntry(ctx.env, list, image);
    if (!entry) throw new NotFound(`manifest for image ${image} does not exist in ${list}`);
    const p: Platform = entry.Descriptor.platform ?? { architecture: '', os: '' };
    if (opts.os) p.os = opts.os;
    if (opts.arch) p.architecture = opts.arch;
    for (const f of (opts.osFeatures ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '')) {
      p['os.features'] = [...new Set([...(p['os.features'] ?? []), f])];
    }
    if (opts.variant) p.variant = opts.variant;
    if (opts.osVersion) p['os.version'] = opts.osVersion;
    if (!OS_ARCH.has(`${p.os}/${p.architecture}`)) {
      throw new InvalidArgument(`manifest entry for image has unsupported os/arch combination: ${opts.os ?? ''}/${opts.arch ?? ''}`);
    }
    entry.Descriptor.platform = platformJson(p);
    await writeEntry(ctx.env, list, image, entry);
  });
}

/** The list as the docker CLI builds it: a Docker manifest list, or an OCI index when its first entry is an OCI manifest. */
export function buildList(entries: StoredManifest[]): Buffer {
  const manifests = entries.map((e) => {
    const p = e.Descriptor.platform;
    if (!p?.os || !p.architecture) throw new InvalidArgument(`manifest ${e.Ref} must have an OS and Architecture to be pushed to a registry`);
    return {
      mediaType: e.Descriptor.mediaType,
      size: e.Descriptor.size,
      digest: e.Descriptor.digest,
      platform: { ...platformJson(p), ...(p.features?.length ? { features: p.features } : {}) },
    };
  });
  const oci = entries[0]?.Descriptor.mediaType === OCI_MANIFEST;
  const mediaType = oci ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json';
  // Indented with three spaces, as the docker CLI's registry library writes it.
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }, null, 3));
}

async function expect(res: Response, ok: number[], what: string): Promise<void> {
  const text = await res.text();
  if (ok.includes(res.status)) return;
  let msg = text.trim();
  try {
    const errs = (JSON.parse(text) as { errors?: { message?: string }[] }).errors;
    if (errs?.length) msg = errs.map((e) => e.message ?? '').join('; ');
  } catch { /* not JSON: the text as it came */ }
  throw new Unavailable(`${what}: registry answered ${res.status}${msg ? `: ${msg}` : ''}`);
}

/** A blob of another repository made present in the target one: mounted, or copied where the registry will not mount. */
async function mountBlob(reader: RegistryReader, target: Ref, from: Ref, digest: string, listName: string): Promise<void> {
  const scope = `repository:${target.path}:pull,push repository:${from.path}:pull`;
  const head = await reader.request('HEAD', `/v2/${target.path}/blobs/${digest}`, scope);
  await head.arrayBuffer();
  if (head.ok) return;
  const res = await reader.request('POST', `/v2/${target.path}/blobs/uploads/?mount=${digest}&from=${encodeURIComponent(from.path)}`, scope);
  await res.arrayBuffer();
  if (res.status === 201) return;
  if (res.status !== 202) throw new Unavailable(`failed to mount blob ${digest} to ${listName}: registry answered ${res.status}`);
  const blob = await reader.request('GET', `/v2/${from.path}/blobs/${digest}`, scope);
  if (!blob.ok) {
    await blob.arrayBuffer();
    throw new Unavailable(`failed to copy blob ${digest} to ${listName}: registry answered ${blob.status}`);
  }
  const bytes = Buffer.from(await blob.arrayBuffer());
  const loc = new URL(res.headers.get('location') ?? '', await reader.origin());
  loc.searchParams.set('digest', digest);
  await expect(await reader.request('PUT', loc.toString(), scope, { 'content-type': 'application/octet-stream' }, bytes), [201], `failed to copy blob ${digest} to ${listName}`);
}

export function manifestPush(ctx: CliContext, args: string[], opts: { purge?: boolean; insecure?: boolean }): Promise<number> {
  return run(ctx, async () => {
    if (args.length !== 1) throw new InvalidArgument('"manifest push" requires exactly 1 argument');
    const target = parseRef(args[0] as string);
    const listName = fullName(target);
    const entries = await readList(ctx.env, listName);
    if (!entries?.length) throw new NotFound(`No such manifest: ${listName}`);
    if (target.ref.startsWith('sha256:')) throw new InvalidArgument(`${listName}: a manifest list is pushed to a tag, not a digest`);
    const body = buildList(entries);
    for (const e of entries) {
      const src = parseRef(e.Ref);
      if (src.domain !== target.domain) throw new InvalidArgument(`cannot use source images from a different registry than the target image: ${src.domain} != ${target.domain}`);
    }
    const reader = await readerFor(ctx, target, opts.insecure === true);
    const scope = `repository:${target.path}:pull,push`;
    // Images of other repositories: their blobs mounted into the target repository, then their manifests put there by digest.
    for (const e of entries) {
      const src = parseRef(e.Ref);
      if (src.path === target.path) continue;
      const raw = Buffer.from(e.Raw, 'base64');
      const doc = JSON.parse(raw.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string; urls?: string[]; mediaType?: string }[] };
      const blobs = [...(doc.config ? [doc.config.digest] : []), ...(doc.layers ?? []).filter((l) => !l.urls?.length && !/foreign/.test(l.mediaType ?? '')).map((l) => l.digest)];
      for (const b of blobs) await mountBlob(reader, target, src, b, listName);
      const put = await reader.request('PUT', `/v2/${target.path}/manifests/${e.Descriptor.digest}`, scope, { 'content-type': e.Descriptor.mediaType }, raw);
      await expect(put, [201], `failed to put manifest ${e.Ref}`);
      ctx.out(`Pushed ref ${target.domain}/${target.path}@${e.Descriptor.digest} with digest: ${e.Descriptor.digest}\n`);
    }
    const mediaType = (JSON.parse(body.toString('utf8')) as { mediaType: string }).mediaType;
    const res = await reader.request('PUT', `/v2/${target.path}/manifests/${target.ref}`, scope, { 'content-type': mediaType }, body);
    await expect(res, [201], `failed to put manifest ${listName}`);
    ctx.out(`${sha256Of(body)}\n`);
    if (opts.purge) await removeList(ctx.env, listName);
  });
}

export async function manifestRm(ctx: CliContext, args: string[]): Promise<number> {
  if (args.length < 1) {
    ctx.err('"manifest rm" requires at least 1 argument\n');
    return 1;
  }
  let code = 0;
  for (const a of args) {
    code = Math.max(code, await run(ctx, async () => {
      const name = fullName(parseRef(a));
      if (!(await removeList(ctx.env, name))) throw new NotFound(`No such manifest: ${name}`);
    }));
  }
  return code;
}
