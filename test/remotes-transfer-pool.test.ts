import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestDaemon } from './helpers/daemon.js';
import { pushLayeredImage, tarOf, type LayerSpec } from './remotes-layered.js';
import { startRegistry } from './remotes-helpers.js';

interface CountingProxy {
  host: string;
  /** The most layer transfers the registry saw at once (from the request to the end of its answer). */
  most: number;
  close(): Promise<void>;
}

/**
 * A proxy in front of a real registry that holds every layer transfer (a blob GET of `layers`, or
 * the PUT that ends a layer's upload) open 300 ms before answering, so that transfers allowed to overlap do,
 * and counts how many were in flight at once.
 */
async function countingProxy(target: string, layers: Set<string>): Promise<CountingProxy> {
  const t = new URL(target);
  let inFlight = 0;
  const state: CountingProxy = { host: '', most: 0, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path)?.[1];
    const uploaded = /\/blobs\/uploads\/.*[?&]digest=(sha256(?::|%3A)[0-9a-f]{64})/i.exec(path)?.[1]?.replace(/%3A/i, ':');
    const counted = (req.method === 'GET' && blob !== undefined && layers.has(blob)) || (req.method === 'PUT' && uploaded !== undefined && layers.has(uploaded));
    if (counted) state.most = Math.max(state.most, ++inFlight);
    let done = false;
    const finish = (): void => {
      if (counted && !done) inFlight--;
      done = true;
    };
    res.on('close', finish);
    const up = request({ host: t.hostname, port: t.port, method: req.method, path, headers: req.headers }, (ur: IncomingMessage) => {
      setTimeout(() => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      }, counted ? 300 : 0);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}

function threeLayers(): LayerSpec[] {
  return [0, 1, 2].map((i) => ({ compression: 'gzip' as const, tar: tarOf({ [`f${i}`]: randomBytes(256 << 10) }) }));
}

test('max-concurrent-downloads and -uploads bound the transfers of all pulls and pushes together, not each one', async (t) => {
  const source = await startRegistry();
  t.after(() => source.stop());
  const dest = await startRegistry();
  t.after(() => dest.stop());
  const a = pushLayeredImage(`${source.host}/pool-a:1`, threeLayers());
  const b = pushLayeredImage(`${source.host}/pool-b:1`, threeLayers());
  const pulls = await countingProxy(source.url, new Set([...a.blobs, ...b.blobs]));
  t.after(() => pulls.close());
  const pushes = await countingProxy(dest.url, new Set([...a.blobs, ...b.blobs]));
  t.after(() => pushes.close());
  const d = await TestDaemon.start({ args: ['--max-concurrent-downloads', '2', '--max-concurrent-uploads', '2'] });
  t.after(() => d.cleanup());

  // Two pulls of three layers each: two downloads at a time in all (each pull alone would run two).
  const pulled = await Promise.all(['pool-a:1', 'pool-b:1'].map((n) => d.berth(['pull', `${pulls.host}/${n}`])));
  for (const r of pulled) assert.equal(r.code, 0, r.stderr);
  assert.equal(pulls.most, 2, 'two downloads in flight at most, and the limit is reached');
  // A layer queued behind the other pull's downloads says Waiting, as on Docker.
  assert.ok(pulled.some((r) => / Waiting$/m.test(r.stdout)), pulled.map((r) => r.stdout).join('\n'));
  for (const n of ['pool-a:1', 'pool-b:1']) {
    const inspect = await d.berth(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', `${pulls.host}/${n}`]);
    assert.equal(inspect.stdout.trim(), '3');
  }

  // Two pushes of three layers each to another registry: two uploads at a time in all.
  for (const n of ['pool-a:1', 'pool-b:1']) assert.equal((await d.berth(['tag', `${pulls.host}/${n}`, `${pushes.host}/${n}`])).code, 0);
  const pushed = await Promise.all(['pool-a:1', 'pool-b:1'].map((n) => d.berth(['push', `${pushes.host}/${n}`])));
  for (const r of pushed) assert.equal(r.code, 0, r.stderr);
  assert.equal(pushes.most, 2, 'two uploads in flight at most, and the limit is reached');
});
