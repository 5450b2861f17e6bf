import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiError, EngineApi, encodeQuery } from './index.js';

interface Seen { method: string; url: string; body: string }

async function withServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void, fn: (api: EngineApi, seen: Seen[], server: http.Server) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-client-'));
  const sock = path.join(dir, 's.sock');
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { seen.push({ method: req.method ?? '', url: req.url ?? '', body }); handler(req, res, body); });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const api = new EngineApi({ socketPath: sock });
  try {
    await fn(api, seen, server);
  } finally {
    api.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
}

test('encodeQuery sends booleans as 1/0 and objects as JSON', () => {
  assert.equal(encodeQuery({ all: true, force: false, skip: undefined, filters: { label: { 'a=b': true } } }), `?all=1&force=0&filters=${encodeURIComponent('{"label":{"a=b":true}}')}`);
  assert.equal(encodeQuery({}), '');
});

test('json requests carry the version prefix, query and body', async () => {
  await withServer((_req, res) => {
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end('{"Id":"abc","Warnings":[]}');
  }, async (api, seen) => {
    const r = await api.containerCreate({ Image: 'busybox', Cmd: ['ls'] }, 'web');
    assert.equal(r.Id, 'abc');
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.url, '/v1.41/containers/create?name=web');
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { Image: 'busybox', Cmd: ['ls'] });
  });
});

test('a 404 becomes an ApiError with the daemon\'s message', async () => {
  await withServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"message":"No such container: nope"}');
  }, async (api) => {
    await assert.rejects(api.containerInspect('nope'), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.statusCode, 404);
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'No such container: nope');
      return true;
    });
  });
});

test('wait resolves at the headers and gives the status later', async () => {
  let finish: (() => void) | undefined;
  await withServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    finish = () => res.end('{"StatusCode":3}');
  }, async (api) => {
    const { result } = await api.containerWait('c1', 'next-exit');
    assert.ok(finish, 'headers arrived before the body');
    finish();
    assert.deepEqual(await result, { StatusCode: 3 });
  });
});

test('hijack upgrades to a raw socket used both ways, with half-close', async () => {
  await withServer(() => undefined, async (api, _seen, server) => {
    server.on('upgrade', (req, socket: Duplex) => {
      assert.equal(req.headers['upgrade'], 'tcp');
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      let got = '';
      socket.on('data', (d: Buffer) => { got += d.toString(); });
      socket.on('end', () => { socket.end(`echo:${got}`); });
    });
    const sock = await api.containerAttach('c1', { stream: true, stdin: true, stdout: true });
    let out = '';
    sock.on('data', (d: Buffer) => { out += d.toString(); });
    const ended = new Promise((r) => sock.on('end', r));
    sock.end('hello');
    await ended;
    assert.equal(out, 'echo:hello');
  });
});

test('hijack also accepts a plain 200 streaming answer', async () => {
  await withServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    res.end('streamed');
  }, async (api) => {
    const sock = await api.client.hijack('POST', '/containers/c1/attach', undefined, { query: { stream: true } });
    let out = '';
    for await (const c of sock) out += (c as Buffer).toString();
    assert.equal(out, 'streamed');
  });
});

test('ping reads the advertised API version', async () => {
  await withServer((_req, res) => {
    res.writeHead(200, { 'API-Version': '1.43' });
    res.end('OK');
  }, async (api) => {
    assert.equal(await api.ping(), '1.43');
  });
});
