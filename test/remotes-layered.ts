import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerSpec {
  /** A tar of the layer's files (made with tar, so whiteouts are plain `.wh.` entries). */
  tar: Buffer;
  compression: LayerCompression;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const MEDIA: Record<LayerCompression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** A tar of `files` (relative path → content; a trailing '/' makes a directory; null makes an empty file). */
export function tarOf(files: Record<string, string | Buffer | null>): Buffer {
  const root = mkdtempSync(join(tmpdir(), 'berth-layer-'));
  try {
    for (const [name, body] of Object.entries(files)) {
      const p = join(root, name);
      if (name.endsWith('/')) mkdirSync(p, { recursive: true });
      else {
        mkdirSync(join(p, '..'), { recursive: true });
        writeFileSync(p, body ?? '', { mode: 0o755 });
      }
    }
    return execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', '-', '.'], { maxBuffer: 256 << 20 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function compress(tar: Buffer, c: LayerCompression): Buffer {
  if (c === 'none') return tar;
  return execFileSync(c === 'gzip' ? 'gzip' : 'zstd', c === 'gzip' ? ['-1', '-c', '-n'] : ['-1', '-c', '-q'], { input: tar, maxBuffer: 256 << 20 });
}

/**
 * Writes an OCI image layout with these layers and pushes it with skopeo (an independent client)
 * to `dest` (host/name:tag) on a plain-HTTP registry. Returns the layers' blob digests.
 */
export function pushLayeredImage(dest: string, layers: LayerSpec[]): { blobs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-oci-'));
  try {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const put = (b: Buffer): string => {
      const d = sha(b);
      writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
      return d;
    };
    const descs = layers.map((l) => {
      const blob = compress(l.tar, l.compression);
      return { mediaType: MEDIA[l.compression], digest: put(blob), size: blob.length, diffId: sha(l.tar) };
    });
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
        rootfs: { type: 'layers', diff_ids: descs.map((d) => d.diffId) },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
        layers: descs.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      }),
    );
    const md = put(manifest);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'img' } }] }),
    );
    execFileSync('skopeo', ['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${dir}:img`, `docker://${dest}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { blobs: descs.map((d) => d.digest) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The screen a terminal would show after `raw` (what a program wrote to a pty): handles the
 * cursor moves the progress renderer uses (CR, LF, ESC[nA, ESC[nB, ESC[2K) and drops other
 * escapes. Lines come back without trailing blanks.
 */
export function screenOf(raw: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const text = raw.replace(/\r\n/g, '\n');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(text.slice(i, i + 12));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1] || '1');
      if (m[2] === 'A') row = Math.max(0, row - n);
      else if (m[2] === 'B') row += n;
      else if (m[2] === 'K') rows[row] = [];
      while (rows.length <= row) rows.push([]);
      continue;
    }
    if (ch === '\r') {
      col = 0;
      continue;
    }
    if (ch === '\n') {
      row++;
      col = 0;
      while (rows.length <= row) rows.push([]);
      continue;
    }
    const line = rows[row] as string[];
    while (line.length < col) line.push(' ');
    line[col++] = ch;
  }
  return rows.map((r) => r.join('').trimEnd()).filter((l, i, all) => l !== '' || i < all.length - 1);
}
