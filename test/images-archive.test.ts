import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContentStore, type ContentStore } from '../src/core/content/index.js';
import { chainIds, imageId, readImageArchive, toImageRecord, writeImageArchive, type LoadedImage } from '../src/core/images/index.js';
import { InvalidArgument } from '../src/errdefs/index.js';
import { MediaType, hostPlatform } from '../src/oci/index.js';
import type { Digest } from '../src/util/index.js';
import { makeBusyboxRootfs, tarDirectory } from './helpers/busybox.js';

const hexOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const dg = (b: Buffer): Digest => `sha256:${hexOf(b)}`;

interface Fixture {
  dir: string;
  /** Uncompressed layer tars: busybox rootfs, and a small second layer. */
  layer1: Buffer;
  layer2: Buffer;
}

async function withFixture(fn: (f: Fixture, content: ContentStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-images-archive-'));
  try {
    const rootfs = join(dir, 'rootfs');
    makeBusyboxRootfs(rootfs);
    tarDirectory(rootfs, join(dir, 'layer1.tar'));
    const extra = join(dir, 'extra');
    mkdirSync(join(extra, 'etc'), { recursive: true });
    writeFileSync(join(extra, 'etc/motd'), 'hello from layer 2\n');
    tarDirectory(extra, join(dir, 'layer2.tar'));
    const f: Fixture = { dir, layer1: readFileSync(join(dir, 'layer1.tar')), layer2: readFileSync(join(dir, 'layer2.tar')) };
    await fn(f, createContentStore(join(dir, 'store')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function configFor(diffIds: Digest[], cmd: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05Z',
      config: { Cmd: [cmd], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-02T03:04:05Z' })),
    }),
  );
}

/** A legacy (Docker < 25) `docker save` tree: <v1id>/layer.tar, <config-hex>.json, manifest.json, repositories; the second image's shared layer is a symlink as Docker writes it. */
function legacyTree(f: Fixture, out: string): { configs: Buffer[] } {
  const diff1 = dg(f.layer1);
  const diff2 = dg(f.layer2);
  const cfgA = configFor([diff1, diff2], 'sh');
  const cfgB = configFor([diff1], 'ls');
  const v1a = 'a'.repeat(64);
  const v1b = 'b'.repeat(64);
  const v1c = 'c'.repeat(64);
  for (const v of [v1a, v1b, v1c]) {
    mkdirSync(join(out, v), { recursive: true });
    writeFileSync(join(out, v, 'VERSION'), '1.0');
    writeFileSync(join(out, v, 'json'), '{}');
  }
  writeFileSync(join(out, v1a, 'layer.tar'), f.layer1);
  writeFileSync(join(out, v1b, 'layer.tar'), f.layer2);
  symlinkSync(`../${v1a}/layer.tar`, join(out, v1c, 'layer.tar'));
  writeFileSync(join(out, `${hexOf(cfgA)}.json`), cfgA);
  writeFileSync(join(out, `${hexOf(cfgB)}.json`), cfgB);
  writeFileSync(
    join(out, 'manifest.json'),
    JSON.stringify([
      { Config: `${hexOf(cfgA)}.json`, RepoTags: ['busybox:latest', 'localhost:5000/bb:1'], Layers: [`${v1a}/layer.tar`, `${v1b}/layer.tar`] },
      { Config: `${hexOf(cfgB)}.json`, RepoTags: null, Layers: [`${v1c}/layer.tar`] },
    ]),
  );
  writeFileSync(join(out, 'repositories'), JSON.stringify({ busybox: { latest: v1b } }));
  return { configs: [cfgA, cfgB] };
}

/** An OCI image layout with a gzip-compressed layer, named by annotation. */
function ociTree(f: Fixture, out: string): { config: Buffer; gz: Buffer; manifest: Buffer } {
  mkdirSync(join(out, 'blobs/sha256'), { recursive: true });
  const gz = execFileSync('gzip', ['-n', '-c'], { input: f.layer1, maxBuffer: 1 << 30 });
  const config = configFor([dg(f.layer1)], 'sh');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: dg(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: dg(gz), size: gz.length }],
    }),
  );
  for (const b of [gz, config, manifest]) writeFileSync(join(out, 'blobs/sha256', hexOf(b)), b);
  writeFileSync(join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(out, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: dg(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'example.com/oci/busybox:v1' } },
      ],
    }),
  );
  return { config, gz, manifest };
}

type ArchiveCompression = 'plain' | 'gzip' | 'zstd';

function tarTree(tree: string, out: string, compression: ArchiveCompression | boolean): void {
  const c = compression === true ? 'gzip' : compression === false ? 'plain' : compression;
  const flags = c === 'gzip' ? ['-z'] : c === 'zstd' ? ['--zstd'] : [];
  execFileSync('tar', ['--numeric-owner', ...flags, '-C', tree, '-cf', out, '.']);
}

const load = (path: string, content: ContentStore): Promise<LoadedImage[]> => readImageArchive(createReadStream(path), content);

for (const compression of ['plain', 'gzip', 'zstd'] as const) {
  test(`loads a legacy docker-save archive (${compression})`, () =>
    withFixture(async (f, content) => {
      const tree = join(f.dir, 'legacy');
      const { configs } = legacyTree(f, tree);
      const archive = join(f.dir, 'legacy.tar');
      tarTree(tree, archive, compression);
      const images = await load(archive, content);
      assert.equal(images.length, 2);
      const [a, b] = images as [LoadedImage, LoadedImage];
      assert.equal(a.configDigest, imageId(configs[0] as Buffer));
      assert.equal(b.configDigest, imageId(configs[1] as Buffer));
      assert.deepEqual(a.repoTags, ['docker.io/library/busybox:latest', 'localhost:5000/bb:1']);
      assert.deepEqual(b.repoTags, []);
      // Plain tar layers: blob digest == diff ID, computed on the stored bytes.
      assert.deepEqual(a.layers.map((l) => l.digest), [dg(f.layer1), dg(f.layer2)]);
      assert.deepEqual(a.layers.map((l) => l.diffId), [dg(f.layer1), dg(f.layer2)]);
      assert.deepEqual(b.layers.map((l) => l.digest), [dg(f.layer1)], 'the symlinked layer resolves');
      assert.equal(a.layers[0]?.uncompressedSize, f.layer1.length);
      assert.deepEqual(chainIds(a.config.rootfs.diff_ids), [dg(f.layer1), `sha256:${createHash('sha256').update(`${dg(f.layer1)} ${dg(f.layer2)}`).digest('hex')}`]);
      assert.deepEqual(await content.readAll(a.configDigest), configs[0]);
      const rec = toImageRecord(a);
      assert.equal(rec.id, a.configDigest);
      assert.equal(rec.size, f.layer1.length + f.layer2.length);
      assert.equal(rec.created, '2024-01-02T03:04:05Z');
    }));
}

for (const gzip of [false, true]) {
  test(`loads an OCI layout archive (${gzip ? 'gzip' : 'plain'}) with a compressed layer`, () =>
    withFixture(async (f, content) => {
      const tree = join(f.dir, 'oci');
      const { config, gz, manifest } = ociTree(f, tree);
      const archive = join(f.dir, 'oci.tar');
      tarTree(tree, archive, gzip);
      const [img, ...rest] = await load(archive, content);
      assert.equal(rest.length, 0);
      assert.ok(img);
      assert.equal(img.configDigest, imageId(config));
      assert.equal(img.manifestDigest, dg(manifest));
      assert.deepEqual(img.repoTags, ['example.com/oci/busybox:v1']);
      assert.deepEqual(img.layers, [{ digest: dg(gz), size: gz.length, mediaType: MediaType.ociLayerGzip, diffId: dg(f.layer1), uncompressedSize: f.layer1.length }]);
      assert.deepEqual(await content.info(dg(gz)), { digest: dg(gz), size: gz.length });
    }));
}

test('picks the host platform from a multi-platform index whose other platforms are absent', () =>
  withFixture(async (f, content) => {
    const tree = join(f.dir, 'oci');
    const { config, manifest } = ociTree(f, tree);
    const host = hostPlatform();
    const other = host.architecture === 's390x' ? 'ppc64le' : 's390x';
    const idx = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: MediaType.ociManifest, digest: `sha256:${'e'.repeat(64)}`, size: 100, platform: { os: 'linux', architecture: other } },
          { mediaType: MediaType.ociManifest, digest: dg(manifest), size: manifest.length, platform: { os: 'linux', architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}) } },
        ],
      }),
    );
    writeFileSync(join(tree, 'blobs/sha256', hexOf(idx)), idx);
    writeFileSync(
      join(tree, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.ociIndex, digest: dg(idx), size: idx.length, annotations: { 'io.containerd.image.name': 'docker.io/library/multi:1', 'org.opencontainers.image.ref.name': '1' } }] }),
    );
    const archive = join(f.dir, 'multi.tar');
    tarTree(tree, archive, false);
    const [img, ...rest] = await load(archive, content);
    assert.equal(rest.length, 0);
    assert.equal(img?.configDigest, dg(config));
    assert.equal(img?.manifestDigest, dg(manifest));
    assert.deepEqual(img?.repoTags, ['docker.io/library/multi:1']);
  }));

test('a corrupted blob is refused and nothing unverified is stored', () =>
  withFixture(async (f, content) => {
    const tree = join(f.dir, 'oci');
    const { gz } = ociTree(f, tree);
    const bad = Buffer.from(gz);
    bad[bad.length - 20] = (bad[bad.length - 20] ?? 0) ^ 0xff;
    writeFileSync(join(tree, 'blobs/sha256', hexOf(gz)), bad);
    const archive = join(f.dir, 'bad.tar');
    tarTree(tree, archive, false);
    await assert.rejects(load(archive, content), (e: unknown) => e instanceof InvalidArgument && /unexpected commit digest/.test(e.message));
    assert.equal(await content.info(dg(gz)), null);
    assert.equal(await content.info(dg(bad)), null);
    const ingest = await readdir(join(f.dir, 'store/ingest')).catch(() => []);
    assert.deepEqual(ingest, []);
  }));

test('a layer that does not match its diff ID is refused', () =>
  withFixture(async (f, content) => {
    const tree = join(f.dir, 'legacy');
    legacyTree(f, tree);
    // Swap the bytes of the first layer: its computed digest no longer matches the config's diff ID.
    writeFileSync(join(tree, 'a'.repeat(64), 'layer.tar'), f.layer2);
    const archive = join(f.dir, 'legacy.tar');
    tarTree(tree, archive, false);
    await assert.rejects(load(archive, content), (e: unknown) => e instanceof InvalidArgument && /diff ID/.test(e.message));
  }));

test('something that is not an image archive is refused', () =>
  withFixture(async (f, content) => {
    const archive = join(f.dir, 'rootfs.tar');
    writeFileSync(archive, f.layer2);
    await assert.rejects(load(archive, content), (e: unknown) => e instanceof InvalidArgument && /neither manifest.json nor index.json/.test(e.message));
    writeFileSync(archive, 'not a tar at all, just some text that is long enough to fill a tar header block? no.'.repeat(10));
    await assert.rejects(load(archive, content), InvalidArgument);
  }));

test('writes an archive that berth and skopeo read back', () =>
  withFixture(async (f, content) => {
    // Load both fixtures, then save all three images in one archive.
    const legacy = join(f.dir, 'legacy');
    legacyTree(f, legacy);
    tarTree(legacy, join(f.dir, 'legacy.tar'), false);
    const oci = join(f.dir, 'oci');
    ociTree(f, oci);
    tarTree(oci, join(f.dir, 'oci.tar'), true);
    const loaded = [...(await load(join(f.dir, 'legacy.tar'), content)), ...(await load(join(f.dir, 'oci.tar'), content))];
    assert.equal(loaded.length, 3);
    const out = join(f.dir, 'saved.tar');
    await writeImageArchive(
      loaded.map((l) => ({ record: toImageRecord(l), repoTags: l.repoTags })),
      content,
      createWriteStream(out),
    );
    const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories']) assert.ok(names.includes(n), n);
    assert.equal(new Set(names).size, names.length, 'every blob once');

    const again = createContentStore(join(f.dir, 'store2'));
    const back = await load(out, again);
    assert.deepEqual(back.map((b) => b.configDigest), loaded.map((l) => l.configDigest));
    assert.deepEqual(back.map((b) => b.repoTags), loaded.map((l) => l.repoTags));
    assert.deepEqual(back.map((b) => b.layers.map((x) => x.diffId)), loaded.map((l) => l.layers.map((x) => x.diffId)));
    assert.equal(back[2]?.manifestDigest, loaded[2]?.manifestDigest, 'a stored manifest is written as is');

    // skopeo, a real peer: the docker-archive view sees the config bytes and tags berth wrote.
    const rawConfig = execFileSync('skopeo', ['inspect', '--raw', '--config', `docker-archive:${out}:busybox:latest`], { maxBuffer: 1 << 26 });
    assert.equal(dg(rawConfig), loaded[0]?.configDigest);
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${out}:example.com/oci/busybox:v1`], { encoding: 'utf8' })) as { Layers: string[] };
    assert.equal(info.Layers.length, 1);

    // A single-image save is also a valid oci-archive; skopeo converts it to docker-archive and berth loads that.
    const single = join(f.dir, 'single.tar');
    await writeImageArchive([{ record: toImageRecord(loaded[0] as LoadedImage), repoTags: ['busybox:latest'] }], content, createWriteStream(single));
    const converted = join(f.dir, 'converted.tar');
    execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', `oci-archive:${single}`, `docker-archive:${converted}:conv/bb:2`]);
    const third = createContentStore(join(f.dir, 'store3'));
    const [conv] = await load(converted, third);
    assert.equal(conv?.configDigest, loaded[0]?.configDigest, 'the image ID survives the round trip through skopeo');
    assert.deepEqual(conv?.repoTags, ['docker.io/conv/bb:2']);
    assert.deepEqual(conv?.layers.map((l) => l.diffId), loaded[0]?.layers.map((l) => l.diffId));
  }));
