import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthRegistry } from './registry-servers.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Sends a PATCH that declares `declared` bytes but only `sent` of them arrive before the client vanishes. */
function cutPatch(host: string, port: number, path: string, data: Buffer, declared: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => {
      s.write(`PATCH ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
      s.write(data, () => setTimeout(() => s.destroy(), 100));
    });
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

test('an upload survives a client that disconnects mid-chunk and a kill -9 of the server', async () => {
  let server = await startBerthRegistry();
  const root = server.root;
  try {
    const data = randomBytes(200_000);
    const s = await fetch(`${server.url}/v2/up/blobs/uploads/`, { method: 'POST' });
    assert.equal(s.status, 202);
    const loc = s.headers.get('location') ?? '';
    const p1 = await fetch(server.url + loc, { method: 'PATCH', body: data.subarray(0, 100_000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-99999' } });
    assert.equal(p1.status, 202);
    const u = new URL(server.url);
    await cutPatch(u.hostname, Number(u.port), loc, data.subarray(100_000, 150_000), 100_000);
    const st = await fetch(server.url + loc);
    assert.equal(st.status, 204);
    // As distribution keeps it: what of the cut chunk reached the registry counts, and the client goes on from there.
    assert.equal(st.headers.get('range'), '0-149999', 'the cut chunk keeps what arrived');

    await server.crash();
    server = await startBerthRegistry({ root });
    const st2 = await fetch(server.url + loc);
    assert.equal(st2.status, 204);
    assert.equal(st2.headers.get('range'), '0-149999', 'and keeps it across a kill -9');
    const put = await fetch(`${server.url}${loc}?digest=${sha(data)}`, {
      method: 'PUT',
      body: data.subarray(150_000),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '150000-199999' },
    });
    assert.equal(put.status, 201, await put.text());
    const got = Buffer.from(await (await fetch(`${server.url}/v2/up/blobs/${sha(data)}`)).arrayBuffer());
    assert.ok(got.equals(data));
    assert.deepEqual(await readdir(join(root, 'uploads')), [], 'a finished upload leaves nothing behind');
    assert.deepEqual(await readdir(join(root, 'ingest')).catch(() => []), []);
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
});
