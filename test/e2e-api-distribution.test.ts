import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { startRegistry, type Registry } from './remotes-helpers.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

interface Inspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: { architecture: string; os: string; variant?: string }[];
}

async function withRegistry(t: { after: (fn: () => Promise<void>) => void }): Promise<Registry> {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  return reg;
}

test('GET /distribution/{name}/json gives a pushed image\'s manifest descriptor and its config\'s platform', async (t) => {
  const reg = await withRegistry(t);
  const name = `${reg.host}/dist/busybox:1`;
  assert.equal((await d.docker(['tag', 'busybox', name])).code, 0);
  const push = await d.docker(['push', name]);
  assert.equal(push.code, 0, push.stderr);
  const r = await d.api('GET', `/v1.43/distribution/${name}/json`);
  assert.equal(r.status, 200, r.body);
  const info = r.json as Inspect;
  // The descriptor is the manifest the registry serves, byte for byte.
  const res = await fetch(`${reg.url}/v2/dist/busybox/manifests/1`, { headers: { accept: info.Descriptor.mediaType } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(info.Descriptor.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.equal(info.Descriptor.size, bytes.length);
  assert.equal(info.Descriptor.mediaType, res.headers.get('content-type'));
  assert.deepEqual(Object.keys(info.Descriptor).sort(), ['digest', 'mediaType', 'size']);
  const arch = JSON.parse((await d.docker(['image', 'inspect', '--format', '{{json .}}', 'busybox'])).stdout) as { Architecture: string; Os: string };
  assert.deepEqual(info.Platforms, [{ architecture: arch.Architecture, os: arch.Os }]);
  // By digest too, and nothing was pulled: the tag still only names what was pushed.
  const byDigest = await d.api('GET', `/distribution/${reg.host}/dist/busybox@${info.Descriptor.digest}/json`);
  assert.equal(byDigest.status, 200, byDigest.body);
  assert.equal((byDigest.json as Inspect).Descriptor.digest, info.Descriptor.digest);
});

test('an index lists every platform of its entries', async (t) => {
  const reg = await withRegistry(t);
  const name = `${reg.host}/multi/busybox:one`;
  assert.equal((await d.docker(['tag', 'busybox', name])).code, 0);
  assert.equal((await d.docker(['push', name])).code, 0);
  const one = (await d.api('GET', `/distribution/${name}/json`)).json as Inspect;
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...one.Descriptor, platform: { architecture: 'amd64', os: 'linux' } },
      { ...one.Descriptor, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
    ],
  };
  const put = await fetch(`${reg.url}/v2/multi/busybox/manifests/multi`, {
    method: 'PUT',
    headers: { 'content-type': index.mediaType },
    body: JSON.stringify(index),
  });
  assert.equal(put.status, 201, await put.text());
  const r = await d.api('GET', `/distribution/${reg.host}/multi/busybox:multi/json`);
  assert.equal(r.status, 200, r.body);
  const info = r.json as Inspect;
  assert.equal(info.Descriptor.mediaType, index.mediaType);
  assert.deepEqual(info.Platforms, [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm', os: 'linux', variant: 'v7' },
  ]);
});

test('a tag the registry lacks is a 404 naming it', async (t) => {
  const reg = await withRegistry(t);
  const r = await d.api('GET', `/distribution/${reg.host}/nothing/here:v9/json`);
  assert.equal(r.status, 404, r.body);
  assert.match((r.json as { message: string }).message, /nothing\/here:v9/);
  const bad = await d.api('GET', `/distribution/${reg.host}/UPPER:x/json`);
  assert.equal(bad.status, 400, bad.body);
});
