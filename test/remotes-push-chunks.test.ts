import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { startPushProxy, type LoggedRequest } from './push-proxy.js';
import { startBerthRegistry, startDistribution, type RunningServer } from './registry-servers.js';

const MiB = 1 << 20;

/** POST /images/{name}/push as the docker CLI sends it; the JSON messages of the answer. */
function apiPush(d: TestDaemon, name: string, tag: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/v1.41/images/${name}/push?tag=${tag}`, headers: { 'X-Registry-Auth': 'e30=' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function blobDigestAt(server: RunningServer, repo: string, digest: string): Promise<string> {
  const r = await fetch(`${server.url}/v2/${repo}/blobs/${digest}`);
  assert.equal(r.status, 200, `blob ${digest} missing from ${server.name}`);
  return `sha256:${createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex')}`;
}

const patchesOf = (log: LoggedRequest[]): LoggedRequest[] => log.filter((l) => l.method === 'PATCH');
const startOf = (l: LoggedRequest): number => Number(/^(\d+)-/.exec(l.contentRange ?? '')?.[1] ?? NaN);

test('chunked push with resume after a reset PATCH (distribution and berth registry), monolithic fallback, Docker progress JSON', async (t) => {
  const d0 = await (async () => {
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    t.after(() => execFileSync('rm', ['-rf', dir]));
    // 1 MiB chunks from 1 MiB on: a 5 MiB layer needs several PATCHes.
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'push-chunk-threshold': MiB, 'push-chunk-size': MiB, 'max-concurrent-uploads': 2 }));
    const old = process.env['BERTH_CONFIG_FILE'];
    process.env['BERTH_CONFIG_FILE'] = join(dir, 'daemon.json');
    try {
      return { d: await TestDaemon.start(), dir };
    } finally {
      if (old === undefined) delete process.env['BERTH_CONFIG_FILE'];
      else process.env['BERTH_CONFIG_FILE'] = old;
    }
  })();
  const { d, dir } = d0;
  t.after(() => d.cleanup());
  mkdirSync(join(dir, 'root'));
  writeFileSync(join(dir, 'root/bulk'), randomBytes(5 * MiB));
  execFileSync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'big.tar'), '.']);
  const imported = await d.berth(['import', join(dir, 'big.tar'), 'big:1']);
  assert.equal(imported.code, 0, imported.stderr);
  const layer = JSON.parse((await d.berth(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'big:1'])).stdout) as string[];
  assert.equal(layer.length, 1);

  for (const start of [startDistribution, startBerthRegistry]) {
    const server = await start();
    t.after(() => server.cleanup());
    const proxy = await startPushProxy(server.url);
    t.after(() => proxy.close());
    proxy.fault.mode = 'reset-patch';
    proxy.fault.nth = 3;
    const name = `${proxy.host}/big`;
    assert.equal((await d.berth(['tag', 'big:1', `${name}:1`])).code, 0);
    const msgs = await apiPush(d, name, '1');
    const failed = msgs.find((m) => m['error']);
    assert.equal(failed, undefined, `${server.name}: ${JSON.stringify(failed)}`);

    // The chunks: Content-Range on each PATCH, one cut by the proxy, then an upload-status GET.
    const patches = patchesOf(proxy.log);
    assert.ok(patches.length >= 6, `${server.name}: ${patches.length} PATCHes`);
    const cutAt = proxy.log.findIndex((l) => l.status === -1);
    assert.ok(cutAt > 0, `${server.name}: the proxy never cut a PATCH`);
    const after = proxy.log.slice(cutAt + 1);
    assert.equal(after[0]?.method, 'GET', `${server.name}: no upload status asked after the reset: ${JSON.stringify(after[0])}`);
    assert.match(after[0]?.path ?? '', /\/blobs\/uploads\//);
    const resumed = after.find((l) => l.method === 'PATCH');
    assert.ok(resumed, `${server.name}: no PATCH after the reset`);
    if (after[0]?.status === 204) {
      // The registry kept the session: the upload goes on from what it confirmed, not from 0.
      assert.equal(startOf(resumed), Number(/-(\d+)$/.exec(after[0].range ?? '')?.[1]) + 1, `${server.name}: resumed at ${resumed.contentRange}, registry said ${after[0].range}`);
      assert.ok(startOf(resumed) >= 2 * MiB, `${server.name}: resumed at ${resumed.contentRange}`);
    } else {
      // distribution refuses a session whose file grew past its signed state: a new session from byte 0.
      assert.ok(after.some((l) => l.method === 'POST'), `${server.name}: lost session not restarted`);
    }
    for (const p of patches) assert.match(p.contentRange ?? '', /^\d+-\d+$/);
    assert.ok(patches.every((p) => (p.contentLength ?? 0) <= MiB), 'chunks of the configured size');

    // The bytes arrived whole.
    const blobDigest = JSON.parse((await d.berth(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${name}:1`])).stdout) as string[];
    assert.ok(blobDigest.some((r) => r.startsWith(`${name}@sha256:`)), JSON.stringify(blobDigest));
    const manifest = (await (await fetch(`${server.url}/v2/big/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } })).json()) as {
      layers: { digest: string; size: number }[];
    };
    const big = manifest.layers[0];
    assert.ok(big && big.size > 5 * MiB);
    assert.equal(await blobDigestAt(server, 'big', big.digest), big.digest);

    // Docker's messages: Preparing, Pushing with byte progress and a bar, Pushed, the digest line, aux.
    const id = big.digest.slice(7, 19);
    const mine = msgs.filter((m) => m['id'] === id).map((m) => m['status']);
    assert.deepEqual([mine[0], mine.at(-1)], ['Preparing', 'Pushed'], JSON.stringify(mine));
    const pushing = msgs.filter((m) => m['id'] === id && m['status'] === 'Pushing');
    assert.ok(pushing.length >= 2, JSON.stringify(pushing));
    const lastPushing = pushing.at(-1) as { progressDetail: { current: number; total: number }; progress: string };
    assert.deepEqual(lastPushing.progressDetail, { current: big.size, total: big.size });
    assert.match(lastPushing.progress, /^\[=+>\s*\]\s+5\.\d+MB\/5\.\d+MB$/);
    assert.deepEqual(
      msgs.find((m) => m['id'] === id && m['status'] === 'Pushed'),
      { status: 'Pushed', progressDetail: {}, id },
    );
    const digestLine = msgs.find((m) => typeof m['status'] === 'string' && (m['status'] as string).startsWith('1: digest: '));
    const aux = msgs.find((m) => m['aux'])?.['aux'] as { Tag: string; Digest: string; Size: number } | undefined;
    assert.ok(digestLine && aux, JSON.stringify(msgs.slice(-3)));
    assert.equal(digestLine['status'], `1: digest: ${aux.Digest} size: ${aux.Size}`);
    assert.equal(aux.Tag, '1');

    // Again: every blob is there. Another repository of the same registry: mounted, not uploaded.
    const again = await apiPush(d, name, '1');
    assert.ok(again.some((m) => m['id'] === id && m['status'] === 'Layer already exists'), JSON.stringify(again));
    assert.equal((await d.berth(['tag', 'big:1', `${proxy.host}/other:1`])).code, 0);
    const before = proxy.log.length;
    const mounted = await apiPush(d, `${proxy.host}/other`, '1');
    assert.ok(mounted.some((m) => m['id'] === id && m['status'] === 'Mounted from big'), JSON.stringify(mounted));
    assert.equal(patchesOf(proxy.log.slice(before)).length, 0);
  }

  // A registry that refuses PATCH: the blob goes up in one PUT instead.
  const dist = await startDistribution();
  t.after(() => dist.cleanup());
  const refusing = await startPushProxy(dist.url);
  t.after(() => refusing.close());
  refusing.fault.mode = 'refuse-patch';
  assert.equal((await d.berth(['tag', 'big:1', `${refusing.host}/big:1`])).code, 0);
  const pushed = await d.berth(['push', `${refusing.host}/big:1`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
  const refused = patchesOf(refusing.log);
  assert.equal(refused.length, 1, 'one PATCH tried, then no more');
  const bigPut = refusing.log.find((l) => l.method === 'PUT' && (l.contentLength ?? 0) > 5 * MiB);
  assert.ok(bigPut, `no monolithic PUT: ${JSON.stringify(refusing.log.map((l) => `${l.method} ${l.contentLength ?? ''}`))}`);
  assert.equal(bigPut.status, 201);
});
