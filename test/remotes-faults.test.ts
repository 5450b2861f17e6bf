import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { BERTH, TestDaemon } from './helpers/daemon.js';
import { spawn } from 'node:child_process';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-image registry whose layer blob misbehaves as `mode` says (the fault proxy of the issue). */
/** A registry of one image whose one layer is `layer`: a plain tar, or the gzip of `tar` when given. */
function fakeRegistry(layer: Buffer, mode: { value: 'ok' | 'corrupt' | 'error500' | 'cut' | 'stall' }, tar?: Buffer): { server: Server; manifestDigest: string; layerDigest: string; layerGets: { n: number; ranges: string[] } } {
  const layerGets = { n: 0, ranges: [] as string[] };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(tar ?? layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: `application/vnd.oci.image.layer.v1.tar${tar ? '+gzip' : ''}`, digest: sha(layer), size: layer.length }],
    }),
  );
  // An index that offers only arm64, to test platform choice.
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }],
    }),
  );
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/f/manifests/multi') return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(index);
    if (url === '/v2/') return res.writeHead(200).end('{}');
    if (url === '/v2/f/manifests/1' || url === `/v2/f/manifests/${sha(manifest)}`) {
      return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': manifest.length }).end(manifest);
    }
    if (url === `/v2/f/blobs/${sha(config)}`) return res.writeHead(200, { 'content-length': config.length }).end(config);
    if (url === `/v2/f/blobs/${sha(layer)}`) {
      layerGets.n++;
      if (mode.value === 'error500') return res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"backend exploded"}]}');
      if (mode.value === 'stall') {
        // Half the blob, then silence: the download hangs until someone gives up.
        res.writeHead(200, { 'content-length': layer.length });
        res.write(layer.subarray(0, layer.length >> 1));
        return undefined;
      }
      if (mode.value === 'cut') {
        res.writeHead(200, { 'content-length': layer.length });
        res.write(layer.subarray(0, layer.length >> 1));
        setTimeout(() => res.destroy(), 20);
        return undefined;
      }
      if (mode.value === 'ok' && req.headers.range) {
        layerGets.ranges.push(req.headers.range);
        const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range)?.[1] ?? 0);
        const rest = layer.subarray(from);
        return res.writeHead(206, { 'content-length': rest.length, 'content-range': `bytes ${from}-${layer.length - 1}/${layer.length}` }).end(rest);
      }
      const body = Buffer.from(layer);
      if (mode.value === 'corrupt') body.writeUInt8((body.readUInt8(body.length >> 1) ^ 0xff) & 0xff, body.length >> 1);
      return res.writeHead(200, { 'content-length': body.length }).end(body);
    }
    return res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  return { server, manifestDigest: sha(manifest), layerDigest: sha(layer), layerGets };
}

test('wrong bytes, a 5xx and a cut download fail clearly and store nothing; a retry then pulls', async (t) => {
  // A real tar with some incompressible bulk, so a cut lands mid-blob.
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  t.after(() => execFileSync('rm', ['-rf', dir]));
  execFileSync('sh', ['-c', `mkdir -p ${dir}/root/bin && cp /bin/busybox ${dir}/root/bin/sh`]);
  execFileSync('sh', ['-c', `cat > ${dir}/root/blob`], { input: randomBytes(2 << 20) });
  const layer = execFileSync('tar', ['-C', `${dir}/root`, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const mode: { value: 'ok' | 'corrupt' | 'error500' | 'cut' } = { value: 'corrupt' };
  const fake = fakeRegistry(layer, mode);
  await new Promise<void>((res) => fake.server.listen(0, '127.0.0.1', res));
  t.after(() => new Promise<void>((res) => fake.server.close(() => res())));
  const host = `127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  const layerFile = join(d.dataRoot, 'blobs', 'sha256', fake.layerDigest.slice(7));

  const bad = await d.berth(['pull', `${host}/f:1`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /failed to pull blob sha256:[a-f0-9]{64}.*unexpected commit digest/);
  assert.equal(existsSync(layerFile), false, 'a corrupt blob must not be stored');
  // The layer was unpacked while it downloaded: the digest's failure removed that too.
  assert.deepEqual(readdirSync(join(d.dataRoot, 'tmp')).filter((n) => n.startsWith('layer-')), [], 'no half-unpacked layer is left');
  assert.equal(existsSync(join(d.dataRoot, 'layers')) ? readdirSync(join(d.dataRoot, 'layers')).length : 0, 0, 'no layer was committed');
  assert.notEqual((await d.berth(['image', 'inspect', `${host}/f:1`])).code, 0);

  mode.value = 'error500';
  const e500 = await d.berth(['pull', `${host}/f:1`]);
  assert.notEqual(e500.code, 0);
  assert.match(e500.stderr, /backend exploded/);

  mode.value = 'cut';
  const cut = await d.berth(['pull', `${host}/f:1`]);
  assert.notEqual(cut.code, 0);
  assert.equal(existsSync(layerFile), false, 'half a blob must not be stored');

  // An index without the host's platform: the error lists what there is; --platform picks it.
  const noPlatform = await d.berth(['pull', `${host}/f:multi`]);
  assert.notEqual(noPlatform.code, 0);
  assert.match(noPlatform.stderr, /no matching manifest for linux\/\w+ in the manifest list entries \(available: linux\/arm64\/v8\)/);

  // The bytes that arrived before the cut are kept in the ingest area for the next try.
  const partial = join(d.dataRoot, 'ingest', `pull-${fake.layerDigest.slice(7)}`, 'data');
  const kept = existsSync(partial) ? statSync(partial).size : 0;
  assert.ok(kept > 0 && kept < layer.length, `a partial download is kept (${kept} of ${layer.length} bytes)`);

  mode.value = 'ok';
  // Two pulls at once share one download of the layer, which resumes where the cut left it.
  fake.layerGets.n = 0;
  const [good, twin] = await Promise.all([d.berth(['pull', `${host}/f:1`]), d.docker(['pull', `${host}/f:1`])]);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(twin.code, 0, twin.stderr);
  assert.equal(fake.layerGets.n, 1, 'the layer is fetched once');
  assert.deepEqual(fake.layerGets.ranges, [`bytes=${kept}-`], 'the download resumed with HTTP Range');
  assert.equal(existsSync(partial), false, 'the partial is gone once the blob is committed');
  const arm = await d.berth(['pull', '--platform', 'linux/arm64', `${host}/f:multi`]);
  assert.equal(arm.code, 0, arm.stderr);
  assert.equal(fake.layerGets.n, 1, 'a layer already stored is not fetched again');
  assert.match(good.stdout, new RegExp(`Digest: ${fake.manifestDigest}`));
  assert.equal(existsSync(layerFile), true);
  const run = await d.berth(['run', '--rm', `${host}/f:1`, 'sh', '-c', 'echo ok']);
  assert.equal(run.stdout.trim(), 'ok', run.stderr);
});

test('a pull cut by a kill -9 of berthd resumes after the restart: the download with HTTP Range, the unpack from its checkpoint', async (t) => {
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  t.after(() => execFileSync('rm', ['-rf', dir]));
  execFileSync('sh', ['-c', `mkdir -p ${dir}/root/bin && cp /bin/busybox ${dir}/root/bin/sh && ln -s sh ${dir}/root/bin/sha256sum`]);
  const blob = randomBytes(14 << 20);
  execFileSync('sh', ['-c', `cat > ${dir}/root/blob`], { input: blob });
  const tar = execFileSync('tar', ['-C', `${dir}/root`, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  const layer = gzipSync(tar, { level: 1 });
  const mode: { value: 'ok' | 'corrupt' | 'error500' | 'cut' | 'stall' } = { value: 'stall' };
  const fake = fakeRegistry(layer, mode, tar);
  await new Promise<void>((res) => fake.server.listen(0, '127.0.0.1', res));
  t.after(() => {
    fake.server.closeAllConnections();
    return new Promise<void>((res) => fake.server.close(() => res()));
  });
  const host = `127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  const d = await TestDaemon.start();
  const threads = (): number => readdirSync(`/proc/${d.proc?.pid}/task`).length;
  const threadsAtStart = threads();
  t.after(() => d.cleanup());
  const partial = join(d.dataRoot, 'ingest', `pull-${fake.layerDigest.slice(7)}`, 'data');

  const client = spawn(BERTH, ['pull', `${host}/f:1`], { env: d.env, stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  // The download stalls at half; by then the unpack has noted how far it got (every MiB).
  const tmp = join(d.dataRoot, 'tmp');
  // The progress file: the resume point in its first 256 bytes, then checkpoints (every 4 MiB of tar).
  const progressNoted = (): boolean => existsSync(tmp) && readdirSync(tmp).some((n) => n.startsWith('partial-') && (statSync(join(tmp, n, 'progress'), { throwIfNoEntry: false })?.size ?? 0) > 256);
  while (!(existsSync(partial) && statSync(partial).size >= layer.length >> 1 && progressNoted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await d.crash();
  client.kill('SIGKILL');
  const kept = statSync(partial).size;
  assert.ok(kept > 0 && kept < layer.length, `the partial survives the crash (${kept} bytes)`);
  const halfUnpacked = (): string[] => readdirSync(join(d.dataRoot, 'tmp')).filter((n) => n.startsWith('partial-'));
  assert.equal(halfUnpacked().length, 1, 'the layer was being unpacked while it downloaded');
  const progress = join(d.dataRoot, 'tmp', halfUnpacked()[0] as string, 'progress');
  const noted = (JSON.parse(readFileSync(progress).subarray(0, 256).toString('utf8')) as { offset: number }).offset;
  assert.ok(noted > 0 && noted < tar.length, `the unpack noted how far it got (${noted} of ${tar.length} bytes)`);
  assert.ok(statSync(progress).size > 256, 'and a checkpoint to continue from');

  await d.spawn();
  assert.equal(halfUnpacked().length, 1, 'the restarted berthd keeps the half-unpacked layer to continue it');
  assert.ok(threads() > threadsAtStart, `with a pull to continue, the restarted berthd readied its pull threads (${threads()} threads, ${threadsAtStart} at the first start)`);
  mode.value = 'ok';
  const again = await d.berth(['pull', `${host}/f:1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(fake.layerGets.ranges, [`bytes=${kept}-`]);
  assert.deepEqual(halfUnpacked(), [], 'the continued layer was committed');
  // The file the first try had begun was continued, not rewritten: the layer must still be whole.
  const run = await d.berth(['run', '--rm', `${host}/f:1`, '/bin/sha256sum', '/blob']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.split(' ')[0], createHash('sha256').update(blob).digest('hex'));
});
