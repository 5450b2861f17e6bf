import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { makeBusyboxRootfs } from './helpers/busybox.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
});
after(async () => {
  await d?.cleanup();
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A `docker save` archive in the layout Docker writes, made by hand: its image ID is known in advance. */
function makeSaveArchive(dir: string, opts: { tag: string; corruptLayer?: boolean; extraEntry?: { name: string; linkTo?: string } }): { archive: string; id: string } {
  const root = join(dir, 'root');
  makeBusyboxRootfs(root);
  const layer = join(dir, 'layer.tar');
  const tarArgs = ['--numeric-owner', '-C', root, '-cf', layer, '.'];
  execFileSync('tar', tarArgs);
  if (opts.extraEntry) {
    // Append an entry whose name tries to leave the root (GNU tar keeps `..` with -P).
    const src = join(dir, 'evil-src');
    writeFileSync(src, 'escaped\n');
    execFileSync('tar', ['-P', '--transform', `s|.*|${opts.extraEntry.name}|`, '-rf', layer, src]);
  }
  const layerBytes = readFileSync(layer);
  const diffId = `sha256:${sha(layerBytes)}`;
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'handmade' }] }),
  );
  const cfgHex = sha(config);
  const out = join(dir, 'archive');
  mkdirSync(join(out, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(out, 'blobs/sha256', cfgHex), config);
  const stored = opts.corruptLayer ? Buffer.concat([layerBytes.subarray(0, 1000), Buffer.from('X'), layerBytes.subarray(1001)]) : layerBytes;
  writeFileSync(join(out, 'blobs/sha256', sha(layerBytes)), stored);
  writeFileSync(join(out, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${cfgHex}`, RepoTags: [opts.tag], Layers: [`blobs/sha256/${sha(layerBytes)}`] }]));
  const archive = join(dir, 'save.tar');
  execFileSync('tar', ['-C', out, '-cf', archive, 'manifest.json', 'blobs']);
  return { archive, id: `sha256:${cfgHex}` };
}

test('a docker save archive keeps the image ID Docker computed; gzip works too', async () => {
  const dir = join(d.dir, 'a1');
  const { archive, id } = makeSaveArchive(dir, { tag: 'handmade:1' });
  const r = await d.berth(['load', '-i', archive]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Loaded image: handmade:1/);
  const got = await d.docker(['image', 'inspect', '-f', '{{.Id}} {{index .RootFS.Layers 0}}', 'handmade:1']);
  assert.equal(got.stdout.split(' ')[0], id);
  execFileSync('gzip', ['-k', archive]);
  await d.berth(['rmi', 'handmade:1']);
  const gz = await d.docker(['load', '-i', `${archive}.gz`]);
  assert.equal(gz.code, 0, gz.stderr);
  const run = await d.berth(['run', '--rm', 'handmade:1', 'echo', 'from a loaded image']);
  assert.equal(run.stdout, 'from a loaded image\n', run.stderr);
});

test('an archive whose blob does not match its digest is refused and leaves no image', async () => {
  const dir = join(d.dir, 'a2');
  const { archive } = makeSaveArchive(dir, { tag: 'corrupt:1', corruptLayer: true });
  const r = await d.docker(['load', '-i', archive]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /digest|does not match|mismatch/i);
  const imgs = await d.docker(['images', '-q', 'corrupt']);
  assert.equal(imgs.stdout.trim(), '');
});

test('a layer entry that climbs out of the root never writes outside it', async () => {
  const target = `/tmp/berth-escape-${process.pid}-${Date.now()}`;
  const dir = join(d.dir, 'a3');
  const { archive } = makeSaveArchive(dir, { tag: 'evil:1', extraEntry: { name: `../../../../../../../..${target}` } });
  const r = await d.docker(['load', '-i', archive]);
  assert.equal(existsSync(target), false, 'the layer wrote outside its root');
  // Docker refuses such a layer; either way nothing may land on the host.
  if (r.code === 0) {
    const run = await d.berth(['run', '--rm', 'evil:1', 'true']);
    assert.equal(run.code, 0);
  } else {
    assert.match(r.stderr, /invalid|outside|escape|breakout/i);
  }
  assert.equal(existsSync(target), false);
});

test('import from stdin with --change, and a malformed archive gets a clear error', async () => {
  const root = join(d.dir, 'imp');
  makeBusyboxRootfs(root);
  const tar = execFileSync('tar', ['--numeric-owner', '-C', root, '-c', '.'], { maxBuffer: 64 << 20 });
  const r = await d.berth(['import', '-c', 'ENV GREETING=ahoy', '-c', 'WORKDIR /tmp', '-c', 'ENTRYPOINT ["/bin/sh","-c"]', '-m', 'made in a test', '-', 'imported:2'], { input: tar });
  assert.equal(r.code, 0, r.stderr);
  const run = await d.berth(['run', '--rm', 'imported:2', 'echo $GREETING from $(pwd)']);
  assert.equal(run.stdout, 'ahoy from /tmp\n', run.stderr);
  const h = await d.docker(['history', '--format', '{{.Comment}}', 'imported:2']);
  assert.match(h.stdout, /made in a test/);
  const bad = await d.berth(['import', '-', 'broken:1'], { input: Buffer.from('this is not a tar archive at all, just words'.repeat(20)) });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /tar|archive|invalid/i);
  assert.equal((await d.berth(['images', '-q', 'broken'])).stdout.trim(), '');
});

test('kill -9 of berthd during a load leaves no half-loaded image', async () => {
  const dir = join(d.dir, 'a4');
  const { archive } = makeSaveArchive(dir, { tag: 'half:1' });
  const bytes = readFileSync(archive);
  await new Promise<void>((resolve) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: '/v1.41/images/load', headers: { 'Content-Type': 'application/x-tar' } });
    req.on('error', () => resolve());
    req.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    setTimeout(() => {
      void d.crash().then(() => resolve());
    }, 300);
  });
  await d.spawn();
  const imgs = await d.docker(['images', '--format', '{{.Repository}}']);
  assert.doesNotMatch(imgs.stdout, /half/);
  const again = await d.docker(['load', '-i', archive]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Loaded image: half:1/);
});

test('the API socket is mode 0660', async () => {
  const { statSync } = await import('node:fs');
  assert.equal(statSync(d.socket).mode & 0o777, 0o660);
});
