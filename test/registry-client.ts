import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';

/** A tiny distribution client for the protocol suite: plain fetch, nothing hidden. */
export const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export async function req(base: string, method: string, path: string, init: { body?: Buffer | string; headers?: Record<string, string> } = {}) {
  const r = await fetch(base + path, { method, redirect: 'manual', ...(init.body !== undefined ? { body: init.body } : {}), headers: init.headers ?? {} });
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, json: (): unknown => JSON.parse(body.toString()) };
}

export function errorCode(r: { body: Buffer }): string {
  const j = JSON.parse(r.body.toString()) as { errors?: { code?: string }[] };
  return j.errors?.[0]?.code ?? '';
}

/** Pushes a blob monolithically; registries without single-request uploads (distribution) answer 202 and get a PUT. */
export async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const d = sha(data);
  const r = await req(base, 'POST', `/v2/${repo}/blobs/uploads/?digest=${d}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  if (r.status === 202) {
    const put = await req(base, 'PUT', withQuery(location(r), `digest=${d}`), { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(put.status, 201, put.body.toString());
    return d;
  }
  assert.equal(r.status, 201, r.body.toString());
  return d;
}

/** The Location header as a path (distribution sends absolute URLs, berth paths). */
export function location(r: { headers: Headers }): string {
  const loc = r.headers.get('location') ?? '';
  if (!loc.startsWith('http')) return loc;
  const u = new URL(loc);
  return u.pathname + u.search;
}

export function withQuery(path: string, q: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${q}`;
}

/** A request with a raw path that fetch would normalise (`..`). */
export function rawGet(base: string, path: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const rq = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    rq.on('error', reject);
    rq.end();
  });
}

/** A config and a layer, then an OCI manifest naming them; returns its bytes and digest. */
export async function pushImage(base: string, repo: string, tag: string, extra: Record<string, unknown> = {}): Promise<{ body: string; digest: string; config: string; layer: string }> {
  const layerData = randomBytes(1000);
  const configData = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layerData)] }, n: randomBytes(4).toString('hex') }));
  const layer = await pushBlob(base, repo, layerData);
  const config = await pushBlob(base, repo, configData);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configData.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerData.length }],
    ...extra,
  });
  const r = await req(base, 'PUT', `/v2/${repo}/manifests/${tag}`, { body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(r.status, 201, r.body.toString());
  return { body, digest: sha(body), config, layer };
}

