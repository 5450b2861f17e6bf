import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { TestDaemon } from './helpers/daemon.js';
import { startBerthRegistry, startDistribution } from './registry-servers.js';

function apiGet(d: TestDaemon, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    req.on('error', reject);
    req.end();
  });
}

const rowsOf = (out: string): string[][] =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

test('search: a registry named in the term is searched through its catalog (distribution, berth registry); limit, filters, format; no search API at all is a clear error', async (t) => {
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');
  const dist = await startDistribution();
  t.after(() => dist.cleanup());
  const own = await startBerthRegistry();
  t.after(() => own.cleanup());
  for (const reg of [dist, own]) {
    for (const repo of ['busybox', 'tools/busy-tools', 'other']) {
      assert.equal((await d.berth(['tag', 'busybox', `${reg.host}/${repo}:1`])).code, 0);
      const p = await d.berth(['push', `${reg.host}/${repo}:1`]);
      assert.equal(p.code, 0, p.stderr);
    }
  }

  for (const reg of [dist, own]) {
    const out = await d.berth(['search', `${reg.host}/busy`]);
    assert.equal(out.code, 0, out.stderr);
    const rows = rowsOf(out.stdout);
    assert.deepEqual(rows[0], ['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], `${reg.name}: ${out.stdout}`);
    assert.deepEqual(rows.slice(1).map((r) => r[0]).sort(), [`${reg.host}/busybox`, `${reg.host}/tools/busy-tools`], `${reg.name}: ${out.stdout}`);
    assert.ok(rows.slice(1).every((r) => r[1] === '0'), 'no description, 0 stars');

    // The docker CLI renders the same answer.
    const viaDocker = await d.docker(['search', `${reg.host}/busy`]);
    assert.equal(viaDocker.code, 0, viaDocker.stderr);
    assert.deepEqual(rowsOf(viaDocker.stdout), rows);
  }

  // Docker's JSON shape.
  const api = await apiGet(d, `/v1.41/images/search?term=${encodeURIComponent(`${dist.host}/busybox`)}`);
  assert.equal(api.status, 200);
  assert.deepEqual(api.body, [{ name: `${dist.host}/busybox`, description: '', star_count: 0, is_official: false, is_automated: false }]);

  // --limit, --format, --no-trunc, --filter.
  const one = await d.berth(['search', '--limit', '1', '--format', '{{.Name}}', `${dist.host}/busy`]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout.trim().split('\n').length, 1);
  assert.match(one.stdout, new RegExp(`^${dist.host}/(busybox|tools/busy-tools)\\n$`));
  const names = await d.berth(['search', '--no-trunc', '--format', '{{.Name}}|{{.StarCount}}|{{.IsOfficial}}', `${dist.host}/`]);
  assert.equal(names.stdout.trim().split('\n').length, 3, names.stdout);
  assert.match(names.stdout, new RegExp(`${dist.host}/other\\|0\\|\\n`));
  const official = await d.berth(['search', '--filter', 'is-official=true', `${dist.host}/busy`]);
  assert.equal(official.code, 0, official.stderr);
  assert.equal(rowsOf(official.stdout).length, 1, 'header only: nothing here is official');
  const stars = await d.docker(['search', '--filter', 'stars=0', `${dist.host}/busy`]);
  assert.equal(rowsOf(stars.stdout).length, 3, stars.stdout);

  // Bad input: clear 400s.
  const badLimit = await d.berth(['search', '--limit', '101', `${dist.host}/busy`]);
  assert.notEqual(badLimit.code, 0);
  assert.match(badLimit.stderr, /Limit 101 is outside the range of \[1, 100\]/);
  const badFilter = await d.docker(['search', '--filter', 'color=red', `${dist.host}/busy`]);
  assert.notEqual(badFilter.code, 0);
  assert.match(badFilter.stderr, /invalid filter 'color'/);
  const badStars = await apiGet(d, `/images/search?term=${dist.host}/busy&filters=${encodeURIComponent('{"stars":{"many":true}}')}`);
  assert.equal(badStars.status, 400);

  // A server with neither /v1/search nor /v2/_catalog.
  const bare = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n'));
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => bare.close(() => r())));
  const bareHost = `127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const none = await d.berth(['search', `${bareHost}/x`]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, new RegExp(`${bareHost} does not support search: it answers neither /v1/search nor /v2/_catalog`));
  assert.doesNotMatch(none.stderr, /at .*\.js:\d+/, 'no stack trace');
  const noneDocker = await d.docker(['search', `${bareHost}/x`]);
  assert.notEqual(noneDocker.code, 0);
  assert.match(noneDocker.stderr, /does not support search/);
});
