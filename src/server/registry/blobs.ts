import { isInvalidArgument } from '../../errdefs/index.js';
import type { Digest } from '../../util/index.js';
import { sendEmpty, type RegistryRequest } from './context.js';
import { registryError } from './errors.js';
import { checkDigestParam, checkName } from './names.js';

/** The linked blob's size; manifests of the repository are readable through the blob endpoint too. */
function blobSize(r: RegistryRequest, d: Digest): number {
  const size = r.deps.meta.blobLink(r.repo, d) ?? r.deps.meta.manifest(r.repo, d)?.size ?? null;
  if (size === null) throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
  return size;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → an inclusive range within size, or 'invalid'. */
export function parseByteRange(header: string, size: number): { start: number; end: number } | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'invalid';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

export async function getBlob(r: RegistryRequest): Promise<void> {
  const d = checkDigestParam(r.ref, 'DIGEST_INVALID');
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d,
    ETag: `"${d}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  if (r.deps.proxy && (await r.deps.proxy.serveBlob(r, d, headers))) return;
  const size = blobSize(r, d);
  const rangeHeader = r.req.headers.range;
  let range: { start: number; end: number } | null = null;
  if (rangeHeader !== undefined) {
    const parsed = parseByteRange(rangeHeader, size);
    if (parsed === 'invalid') throw registryError('BLOB_RANGE_UNSATISFIABLE', { detail: { range: rangeHeader, size } });
    range = parsed;
    headers['Content-Range'] = `bytes ${parsed.start}-${parsed.end}/${size}`;
  }
  const length = range ? range.end - range.start + 1 : size;
  if (r.req.method === 'HEAD') {
    r.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
    r.res.end();
    return;
  }
  let fh;
  try {
    fh = await r.deps.files.open(r.deps.content.path(d));
  } catch (e) {
    // Linked but gone from the store (removed under us): the spec's answer is still BLOB_UNKNOWN.
    throw registryError('BLOB_UNKNOWN', { detail: { digest: d }, cause: e });
  }
  r.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
  await r.deps.files.send(fh, r.res, range?.start ?? 0, length, r.signal);
}

export function deleteBlob(r: RegistryRequest): void {
  const d = checkDigestParam(r.ref, 'DIGEST_INVALID');
  // The bytes stay until GC finds nothing else needs them: other repositories may link them.
  if (!r.deps.meta.unlinkBlob(r.repo, d)) throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
  sendEmpty(r.res, 202, { 'Docker-Content-Digest': d });
}

function uploadHeaders(r: RegistryRequest, uuid: string, offset: number): Record<string, string | number> {
  return {
    Location: `/v2/${r.repo}/blobs/uploads/${uuid}`,
    Range: `0-${Math.max(0, offset - 1)}`,
    'Docker-Upload-UUID': uuid,
  };
}

function created(r: RegistryRequest, d: Digest): void {
  sendEmpty(r.res, 201, { Location: `/v2/${r.repo}/blobs/${d}`, 'Docker-Content-Digest': d });
}

function contentLength(r: RegistryRequest): number | undefined {
  const v = r.req.headers['content-length'];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw registryError('SIZE_INVALID', { message: `invalid Content-Length ${JSON.stringify(v)}` });
  return Number(v);
}

/** POST /v2/<name>/blobs/uploads/: a cross-repository mount, a monolithic upload, or a new session. */
export async function startUpload(r: RegistryRequest): Promise<void> {
  const mount = r.query.get('mount');
  const from = r.query.get('from');
  if (mount !== null && from !== null) {
    const d = checkDigestParam(mount);
    checkName(from);
    const size = r.deps.meta.blobLink(from, d);
    if (size !== null && (await r.deps.content.info(d))) {
      r.deps.meta.linkBlob(r.repo, d, size);
      created(r, d);
      return;
    }
    // Not mountable: the spec says to fall back to an ordinary upload session.
  }
  const digestParam = r.query.get('digest');
  if (digestParam !== null) {
    const d = checkDigestParam(digestParam);
    const length = contentLength(r);
    let info;
    try {
      info = await r.deps.content.write(r.req, { digest: d, ...(length !== undefined ? { size: length } : {}) }, { signal: r.signal });
    } catch (e) {
      if (isInvalidArgument(e)) throw registryError('DIGEST_INVALID', { detail: { digest: d }, cause: e });
      throw e;
    }
    r.deps.meta.linkBlob(r.repo, info.digest, info.size);
    r.req.resume();
    created(r, info.digest);
    return;
  }
  const u = await r.deps.uploads.start(r.repo);
  r.req.resume();
  sendEmpty(r.res, 202, uploadHeaders(r, u.uuid, 0));
}

export async function uploadStatus(r: RegistryRequest): Promise<void> {
  const u = await r.deps.uploads.settled(r.repo, r.ref);
  sendEmpty(r.res, 204, uploadHeaders(r, u.uuid, u.offset));
}

function contentRange(r: RegistryRequest): { start: number; end: number } | undefined {
  const v = r.req.headers['content-range'];
  if (v === undefined) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(v.trim());
  if (!m || Number(m[1]) > Number(m[2])) throw registryError('UPLOAD_RANGE_INVALID', { message: `invalid Content-Range ${JSON.stringify(v)}` });
  return { start: Number(m[1]), end: Number(m[2]) };
}

export async function patchUpload(r: RegistryRequest): Promise<void> {
  const range = contentRange(r);
  const length = contentLength(r);
  const offset = await r.deps.uploads.append(r.repo, r.ref, r.req, {
    ...(range ? { range } : {}),
    ...(length !== undefined ? { length } : {}),
    signal: r.signal,
  });
  sendEmpty(r.res, 202, uploadHeaders(r, r.ref, offset));
}

/** PUT closes a session, with an optional last chunk in the body. */
export async function finishUpload(r: RegistryRequest): Promise<void> {
  const d = checkDigestParam(r.query.get('digest'));
  r.deps.uploads.get(r.repo, r.ref);
  const length = contentLength(r);
  if (length === undefined || length > 0) {
    const range = contentRange(r);
    await r.deps.uploads.append(r.repo, r.ref, r.req, {
      ...(range ? { range } : {}),
      ...(length !== undefined ? { length } : {}),
      signal: r.signal,
    });
  }
  const info = await r.deps.uploads.commit(r.repo, r.ref, d, r.signal);
  created(r, info.digest);
}

export async function cancelUpload(r: RegistryRequest): Promise<void> {
  await r.deps.uploads.cancel(r.repo, r.ref);
  sendEmpty(r.res, 204);
}
