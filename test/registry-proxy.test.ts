import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { errorCode, pushBlob, pushImage, sha } from './registry-client.js';
import { makeHtpasswd, makeOciLayout, startBerthRegistry, type RunningServer } from './registry-servers.js';

const run = promisify(execFile);

test('pull-through cache: fetches through a token-protected upstream, refuses pushes, serves the cache when the upstream is gone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-proxy-'));
  let upstream: RunningServer | undefined;
  let mirror: RunningServer | undefined;
  try {
    const htpasswd = await makeHtpasswd(join(dir, 'htpasswd'), 'alice', 's3cret');
    const layout = await makeOciLayout(join(dir, 'layout'));
    upstream = await startBerthRegistry({ args: ['--htpasswd', htpasswd, '--auth', 'token'] });
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${upstream.host}/lib/img:v1`]);
    mirror = await startBerthRegistry({ args: ['--proxy-remote', `up=http://alice:s3cret@${upstream.host}`] });

    const out1 = join(dir, 'out1');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${mirror.host}/up/lib/img:v1`, `oci:${out1}:v1`]);
    assert.equal((await readdir(join(out1, 'blobs/sha256'))).length, 3);

    // Mirrored repositories are read-only; others are an ordinary registry.
    const push = await fetch(`${mirror.url}/v2/up/lib/img/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 405);
    await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${mirror.host}/local/img:v1`]);

    await upstream.stop();
    const out2 = join(dir, 'out2');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${mirror.host}/up/lib/img:v1`, `oci:${out2}:v1`]);
    assert.deepEqual((await readdir(join(out2, 'blobs/sha256'))).sort(), (await readdir(join(out1, 'blobs/sha256'))).sort());
    const missing = await fetch(`${mirror.url}/v2/up/lib/img/manifests/never-pulled`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_UNKNOWN');
  } finally {
    await mirror?.cleanup();
    await upstream?.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A forwarding hop between the mirror and a real upstream registry, so tests can count the blob
 * fetches that reach the upstream, slow them down (to act while one is in flight), flip a byte of a
 * blob, or play an upstream that is down.
 */
interface Relay {
  url: string;
  blobGets: Map<string, number>;
  slow: boolean;
  down: boolean;
  corrupt: Set<string>;
  close(): Promise<void>;
}

async function startRelay(upstream: string): Promise<Relay> {
  const up = new URL(upstream);
  const sockets = new Set<Socket>();
  const relay: Relay = { url: '', blobGets: new Map(), slow: false, down: false, corrupt: new Set(), close: async () => undefined };
  const server = createServer((req, res) => {
    if (relay.down) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"down for the test"}]}');
      return;
    }
    const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    if (blob && req.method === 'GET') relay.blobGets.set(blob, (relay.blobGets.get(blob) ?? 0) + 1);
    const fwd = httpRequest({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: { ...req.headers, host: up.host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const flip = blob !== undefined && relay.corrupt.has(blob);
      const slow = blob !== undefined && relay.slow;
      void (async () => {
        let first = true;
        for await (const c of ur as AsyncIterable<Buffer>) {
          for (let i = 0; i < c.length; i += 16384) {
            const part = Buffer.from(c.subarray(i, i + 16384));
            if (flip && first) part[0] = (part[0] ?? 0) ^ 0xff;
            first = false;
            if (res.destroyed) return;
            if (!res.write(part)) await once(res, 'drain');
            if (slow) await sleep(5);
          }
        }
        res.end();
      })().catch(() => res.destroy());
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s: Socket) => (sockets.add(s), s.once('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  relay.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  relay.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
  return relay;
}

const blobPath = (root: string, d: string): string => join(root, 'blobs/sha256', d.slice('sha256:'.length));

async function ingestEmpty(root: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const left = await readdir(join(root, 'ingest')).catch(() => []);
    if (left.length === 0) return true;
    await sleep(50);
  }
  return false;
}

test('pull-through cache: tags/list comes from the upstream, and its last answer is served (even after a restart) when the upstream fails', async () => {
  const upstream = await startBerthRegistry();
  const relay = await startRelay(upstream.url);
  let mirror = await startBerthRegistry({ args: ['--proxy-remote', `up=${relay.url}`] });
  try {
    await pushImage(upstream.url, 'lib/img', 'v1');
    await pushImage(upstream.url, 'lib/img', 'v2');
    const list = async (path = ''): Promise<{ status: number; link: string | null; body: unknown }> => {
      const r = await fetch(`${mirror.url}/v2/up/lib/img/tags/list${path}`);
      return { status: r.status, link: r.headers.get('link'), body: await r.json() };
    };
    assert.deepEqual((await list()).body, { name: 'up/lib/img', tags: ['v1', 'v2'] });
    await pushImage(upstream.url, 'lib/img', 'v3');
    assert.deepEqual((await list()).body, { name: 'up/lib/img', tags: ['v1', 'v2', 'v3'] }, 'a tag pushed upstream shows at once');
    const page = await list('?n=1');
    assert.deepEqual(page.body, { name: 'up/lib/img', tags: ['v1'] });
    assert.equal(page.link, '</v2/up/lib/img/tags/list?n=1&last=v1>; rel="next"');

    relay.down = true;
    assert.deepEqual((await list()).body, { name: 'up/lib/img', tags: ['v1', 'v2', 'v3'] }, 'upstream down: the last answer');
    await mirror.stop();
    mirror = await startBerthRegistry({ root: mirror.root, args: ['--proxy-remote', `up=${relay.url}`] });
    assert.deepEqual((await list()).body, { name: 'up/lib/img', tags: ['v1', 'v2', 'v3'] }, 'the answer is kept across a restart');
    const never = await fetch(`${mirror.url}/v2/up/lib/never/tags/list`);
    assert.equal(never.status, 404);
    assert.equal(errorCode({ body: Buffer.from(await never.arrayBuffer()) }), 'NAME_UNKNOWN');

    relay.down = false;
    const unknown = await fetch(`${mirror.url}/v2/up/lib/unknown/tags/list`);
    assert.equal(unknown.status, 404, 'the upstream says the repository does not exist');
    assert.equal(errorCode({ body: Buffer.from(await unknown.arrayBuffer()) }), 'NAME_UNKNOWN');
  } finally {
    await mirror.cleanup();
    await relay.close();
    await upstream.cleanup();
  }
});

test('pull-through cache: blobs stream to the client while cached, one upstream fetch for concurrent clients, nothing half-written when a client leaves or the bytes are wrong', async () => {
  const upstream = await startBerthRegistry();
  const relay = await startRelay(upstream.url);
  const mirror = await startBerthRegistry({ args: ['--proxy-remote', `up=${relay.url}`] });
  try {
    const big = randomBytes(8 << 20);
    const a = await pushBlob(upstream.url, 'lib/big', big);
    relay.slow = true;
    const url = `${mirror.url}/v2/up/lib/big/blobs/${a}`;
    const first = await fetch(url);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-length'), String(big.length));
    const reader = first.body!.getReader();
    const head = await reader.read();
    assert.ok(head.value && head.value.length > 0, 'the first bytes arrive');
    assert.equal(existsSync(blobPath(mirror.root, a)), false, 'the client reads while the blob is still being fetched');
    const second = fetch(url).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }));
    const chunks: Buffer[] = [Buffer.from(head.value)];
    for (let c = await reader.read(); !c.done; c = await reader.read()) chunks.push(Buffer.from(c.value));
    assert.equal(sha(Buffer.concat(chunks)), a);
    const s = await second;
    assert.equal(s.status, 200);
    assert.equal(sha(s.body), a);
    assert.equal(relay.blobGets.get(a), 1, 'concurrent clients share one upstream fetch');
    assert.ok(existsSync(blobPath(mirror.root, a)));

    // A client that leaves mid-blob, alone: the fetch stops and leaves nothing behind.
    const b = await pushBlob(upstream.url, 'lib/big', randomBytes(4 << 20));
    const ac = new AbortController();
    const leaving = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${b}`, { signal: ac.signal });
    await leaving.body!.getReader().read();
    ac.abort();
    assert.ok(await ingestEmpty(mirror.root), 'no partial ingest is left');
    assert.equal(existsSync(blobPath(mirror.root, b)), false, 'no half blob is committed');
    relay.slow = false;
    const again = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${b}`);
    assert.equal(sha(Buffer.from(await again.arrayBuffer())), b);
    assert.equal(relay.blobGets.get(b), 2);

    // Wrong bytes from the upstream: the client's body is cut short and nothing is cached.
    const cData = randomBytes(1 << 20);
    const c = await pushBlob(upstream.url, 'lib/big', cData);
    const headUncached = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${c}`, { method: 'HEAD' });
    assert.equal(headUncached.status, 200);
    assert.equal(headUncached.headers.get('content-length'), String(cData.length));
    assert.equal(relay.blobGets.get(c), undefined, 'HEAD fetches nothing');
    relay.corrupt.add(c);
    const bad = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${c}`);
    await assert.rejects(bad.arrayBuffer(), 'a blob whose digest does not match never completes');
    assert.ok(await ingestEmpty(mirror.root));
    assert.equal(existsSync(blobPath(mirror.root, c)), false);
    relay.corrupt.delete(c);
    const good = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${c}`);
    assert.deepEqual(Buffer.from(await good.arrayBuffer()), cData);
    const head2 = await fetch(`${mirror.url}/v2/up/lib/big/blobs/${c}`, { method: 'HEAD' });
    assert.equal(head2.headers.get('content-length'), String(cData.length));
  } finally {
    await mirror.cleanup();
    await relay.close();
    await upstream.cleanup();
  }
});
