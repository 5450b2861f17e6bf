import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
let docker: Docker;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  docker = new Docker({ socketPath: d.socket });
});
after(async () => {
  await d?.cleanup();
});

function raw(method: string, path: string, body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('dockerode: create, attach, start, wait, logs, inspect, remove', async () => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo one; echo two >&2; exit 3'], Labels: { via: 'dockerode' } });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true });
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (b: Buffer) => outChunks.push(b));
  err.on('data', (b: Buffer) => errChunks.push(b));
  docker.modem.demuxStream(stream, out, err);
  const ended = new Promise((r) => stream.on('end', r));
  await c.start();
  const w = await c.wait();
  assert.equal(w.StatusCode, 3);
  await ended;
  assert.equal(Buffer.concat(outChunks).toString(), 'one\n');
  assert.equal(Buffer.concat(errChunks).toString(), 'two\n');
  const info = await c.inspect();
  assert.equal(info.State.ExitCode, 3);
  assert.equal(info.Config.Labels['via'], 'dockerode');
  const list = await docker.listContainers({ all: true, filters: { label: ['via=dockerode'] } });
  assert.equal(list.length, 1);
  assert.equal(list[0]?.Id, info.Id);
  const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  assert.ok(logs.includes(Buffer.from('one\n')));
  await c.remove();
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('dockerode: images and version', async () => {
  const imgs = await docker.listImages();
  assert.ok(imgs.some((i) => i.RepoTags?.includes('busybox:latest')));
  const v = await docker.version();
  assert.equal(v.ApiVersion, '1.47');
});

test('API statuses and messages as Docker sends them', async () => {
  assert.equal((await raw('GET', '/_ping')).body, 'OK');
  const ping = await raw('HEAD', '/_ping');
  assert.equal(ping.headers['api-version'], '1.47');
  const bad = await raw('POST', '/v1.41/containers/create', '{not json');
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).message, /invalid JSON/);
  const nf = await raw('GET', '/v1.41/containers/nope/json');
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.body).message, 'No such container: nope');
  const nimg = await raw('GET', '/images/nope:1/json');
  assert.equal(nimg.status, 404);
  assert.match(JSON.parse(nimg.body).message, /No such image: nope:1/);
  const noimage = await raw('POST', '/containers/create', JSON.stringify({ Image: 'ghost:1' }));
  assert.equal(noimage.status, 404);
  const tooNew = await raw('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(JSON.parse(tooNew.body).message, /client version 1.99 is too new/);
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '30'] });
  await c.start();
  const again = await raw('POST', `/containers/${c.id}/start`);
  assert.equal(again.status, 304);
  const conflict = await raw('DELETE', `/containers/${c.id}`);
  assert.equal(conflict.status, 409);
  const rmiInUse = await raw('DELETE', `/images/busybox`);
  assert.equal(rmiInUse.status, 409);
  await c.remove({ force: true });
  const stopped = await raw('POST', `/containers/${c.id}/stop`);
  assert.equal(stopped.status, 404);
});
