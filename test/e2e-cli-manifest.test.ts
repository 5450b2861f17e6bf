import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('berth manifest inspect prints what docker manifest inspect prints: an image manifest, an index, a missing tag', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const cfg = await mkdtemp(join(tmpdir(), 'berth-manifest-'));
  t.after(() => rm(cfg, { recursive: true, force: true }));
  const both = async (args: string[]): Promise<{ berth: { code: number; stdout: string; stderr: string }; docker: { code: number; stdout: string; stderr: string } }> => {
    const env = ['env', `DOCKER_CONFIG=${cfg}`];
    return { berth: await d.run(env[0] as string, [...env.slice(1), BERTH, 'manifest', 'inspect', '--insecure', ...args]), docker: await d.run(env[0] as string, [...env.slice(1), 'docker', 'manifest', 'inspect', '--insecure', ...args]) };
  };
  const name = `${reg.host}/mi/busybox:1`;
  assert.equal((await d.berth(['tag', 'busybox', name])).code, 0);
  assert.equal((await d.berth(['push', name])).code, 0);

  const one = await both([name]);
  assert.equal(one.docker.code, 0, one.docker.stderr);
  assert.equal(one.berth.code, 0, one.berth.stderr);
  assert.equal(one.berth.stdout, one.docker.stdout);
  const m = JSON.parse(one.berth.stdout) as { schemaVersion: number; layers: unknown[] };
  assert.equal(m.schemaVersion, 2);
  assert.equal(m.layers.length, 1);

  const info = (await d.api('GET', `/distribution/${name}/json`)).json as { Descriptor: { mediaType: string; digest: string; size: number } };
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { ...info.Descriptor, platform: { architecture: 'amd64', os: 'linux' } },
      { ...info.Descriptor, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
    ],
  };
  const put = await fetch(`${reg.url}/v2/mi/busybox/manifests/multi`, { method: 'PUT', headers: { 'content-type': index.mediaType }, body: JSON.stringify(index) });
  assert.equal(put.status, 201);
  const list = await both([`${reg.host}/mi/busybox:multi`]);
  assert.equal(list.docker.code, 0, list.docker.stderr);
  assert.equal(list.berth.code, 0, list.berth.stderr);
  assert.equal(list.berth.stdout, list.docker.stdout);
  assert.match(list.berth.stdout, /"variant": "v7"/);

  const byDigest = await both([`${reg.host}/mi/busybox@${info.Descriptor.digest}`]);
  assert.equal(byDigest.berth.stdout, byDigest.docker.stdout);
  assert.equal(byDigest.berth.stdout, one.berth.stdout);

  const missing = await both([`${reg.host}/mi/busybox:nope`]);
  assert.equal(missing.docker.code, 1);
  assert.equal(missing.berth.code, 1);
  assert.equal(missing.berth.stderr, missing.docker.stderr);
  const verbose = await both(['-v', name]);
  assert.equal(verbose.docker.code, 0, verbose.docker.stderr);
  assert.equal(verbose.berth.stdout, verbose.docker.stdout);
  const vlist = await both(['-v', `${reg.host}/mi/busybox:multi`]);
  assert.equal(vlist.docker.code, 0, vlist.docker.stderr);
  assert.equal(vlist.berth.stdout, vlist.docker.stdout);
});
