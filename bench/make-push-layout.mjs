// Writes an OCI image layout for bench/push: LAYERS layers of one incompressible file each, gzip at
// level 0 (stored blocks: valid gzip, made at disk speed, and skopeo keeps gzip layers as they are),
// tagged `v1`. Usage: node make-push-layout.mjs DIR [LAYERS] [MB_PER_LAYER]
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [dir, layersArg = '6', mbArg = '50'] = process.argv.slice(2);
if (!dir) throw new Error('usage: make-push-layout.mjs DIR [LAYERS] [MB_PER_LAYER]');
const blobs = join(dir, 'blobs/sha256');
mkdirSync(blobs, { recursive: true });
const sha = (b) => createHash('sha256').update(b).digest('hex');
const put = (b) => {
  const hex = sha(b);
  writeFileSync(join(blobs, hex), b);
  return { digest: `sha256:${hex}`, size: b.length };
};

/** A one-file ustar archive. */
function tarOf(name, data) {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

const layers = [];
const diffIds = [];
for (let i = 0; i < Number(layersArg); i++) {
  const tar = tarOf(`bulk-${i}`, randomFillSync(Buffer.allocUnsafe(Number(mbArg) << 20)));
  diffIds.push(`sha256:${sha(tar)}`);
  layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gzipSync(tar, { level: 0 })) });
}
const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } })));
const manifest = put(
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })),
);
writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(
  join(dir, 'index.json'),
  JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1', 'io.containerd.image.name': 'bench/push:v1' } }] }),
);
