// Seeds a registry for bench/registry: a 1 MB blob and a small image (config, layer, manifest) in
// bench/img:latest, pushed the way both registries accept (POST a session, PUT with the digest).
// Prints "BLOB_DIGEST MANIFEST_DIGEST".
import { createHash, randomBytes } from 'node:crypto';

const base = process.argv[2];
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushBlob(data) {
  const d = sha(data);
  const post = await fetch(`${base}/v2/bench/img/blobs/uploads/`, { method: 'POST' });
  if (post.status !== 202) throw new Error(`POST upload: ${post.status} ${await post.text()}`);
  await post.arrayBuffer();
  const loc = new URL(post.headers.get('location'), base);
  loc.searchParams.set('digest', d);
  const put = await fetch(loc, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status} ${await put.text()}`);
  await put.arrayBuffer();
  return d;
}

const blob = randomBytes(1 << 20);
const blobDigest = await pushBlob(blob);
const layer = randomBytes(4096);
const layerDigest = await pushBlob(layer);
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
const configDigest = await pushBlob(config);
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blobDigest, size: blob.length },
  ],
});
const put = await fetch(`${base}/v2/bench/img/manifests/latest`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${await put.text()}`);
console.log(blobDigest, sha(manifest));
