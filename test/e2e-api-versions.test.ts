import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('API 1.47 is the maximum, 1.24 the minimum; the docker CLI negotiates 1.47 or what DOCKER_API_VERSION names', async () => {
  const v = await d.docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '1.47 1.24 1.47');
  const pinned = await d.run('env', ['DOCKER_API_VERSION=1.24', 'docker', 'ps', '-a']);
  assert.equal(pinned.code, 0, pinned.stderr);
  for (const v of ['1.24', '1.41', '1.44', '1.47']) {
    const r = await d.run('env', [`DOCKER_API_VERSION=${v}`, 'docker', 'run', '--rm', 'busybox', 'echo', `at ${v}`]);
    assert.equal(r.stdout, `at ${v}\n`, `${v}: ${r.stderr}`);
    const img = await d.run('env', [`DOCKER_API_VERSION=${v}`, 'docker', 'image', 'inspect', '--format', '{{.Os}}', 'busybox']);
    assert.equal(img.stdout, 'linux\n', `${v}: ${img.stderr}`);
  }
  const tooNew = await d.api('GET', '/v1.48/version');
  assert.equal(tooNew.status, 400);
  assert.match(tooNew.body, /client version 1\.48 is too new\. Maximum supported API version is 1\.47/);
  const tooOld = await d.api('GET', '/v1.23/version');
  assert.equal(tooOld.status, 400);
  assert.match(tooOld.body, /client version 1\.23 is too old\. Minimum supported API version is 1\.24/);
});

test('image shapes follow the version asked: VirtualSize until 1.43, Container and ContainerConfig until 1.44', async () => {
  const at = async (v: string): Promise<Record<string, unknown>> => (await d.api('GET', `/v${v}/images/busybox/json`)).json as Record<string, unknown>;
  const v143 = await at('1.43');
  assert.ok('VirtualSize' in v143 && 'ContainerConfig' in v143 && 'Container' in v143);
  const v144 = await at('1.44');
  assert.ok(!('VirtualSize' in v144) && 'ContainerConfig' in v144);
  const v147 = await at('1.47');
  assert.ok(!('VirtualSize' in v147) && !('ContainerConfig' in v147) && !('Container' in v147));
  assert.deepEqual(v147['Config'], v143['Config']);
  const list = async (v: string, q = ''): Promise<Record<string, unknown>[]> => (await d.api('GET', `/v${v}/images/json${q}`)).json as Record<string, unknown>[];
  assert.ok((await list('1.43')).every((i) => 'VirtualSize' in i));
  assert.ok((await list('1.44')).every((i) => !('VirtualSize' in i)));
  const df = (await d.api('GET', '/v1.47/system/df?type=image')).json as { Images: Record<string, unknown>[] };
  assert.ok(df.Images.length > 0 && df.Images.every((i) => !('VirtualSize' in i)));
});

test('image ls with manifests=1 (1.47) lists a pulled image\'s manifest; before 1.47 or unasked there is no Manifests', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const name = `${reg.host}/mf/busybox:1`;
  assert.equal((await d.docker(['tag', 'busybox', name])).code, 0);
  assert.equal((await d.docker(['push', name])).code, 0);
  assert.equal((await d.docker(['rmi', name])).code, 0);
  const pull = await d.docker(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr);
  const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(pull.stdout)?.[1];
  assert.ok(digest, pull.stdout);
  const cid = (await d.docker(['create', name, 'true'])).stdout.trim();
  const filter = encodeURIComponent(JSON.stringify({ reference: [name] }));
  const rows = (await d.api('GET', `/v1.47/images/json?manifests=1&filters=${filter}`)).json as { Manifests: Record<string, unknown>[] }[];
  assert.equal(rows.length, 1);
  const m = rows[0]?.Manifests ?? [];
  assert.equal(m.length, 1);
  const one = m[0] as { ID: string; Descriptor: { digest: string; size: number; mediaType: string }; Available: boolean; Kind: string; Size: { Total: number; Content: number }; ImageData: { Platform: { os: string }; Containers: string[]; Size: { Unpacked: number } } };
  assert.equal(one.ID, digest);
  assert.equal(one.Descriptor.digest, digest);
  assert.ok(one.Descriptor.size > 0);
  assert.equal(one.Available, true);
  assert.equal(one.Kind, 'image');
  assert.equal(one.ImageData.Platform.os, 'linux');
  assert.deepEqual(one.ImageData.Containers, [cid]);
  assert.equal(one.Size.Total, one.Size.Content + one.ImageData.Size.Unpacked);
  const unasked = (await d.api('GET', `/v1.47/images/json?filters=${filter}`)).json as Record<string, unknown>[];
  assert.ok(!('Manifests' in (unasked[0] ?? {})));
  const old = (await d.api('GET', `/v1.46/images/json?manifests=1&filters=${filter}`)).json as Record<string, unknown>[];
  assert.ok(!('Manifests' in (old[0] ?? {})));
  // The docker CLI 28's tree view is drawn from these manifests.
  const tree = await d.docker(['image', 'ls', '--tree']);
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, new RegExp(`${name.replace(/[.]/g, '\\.')}`));
  assert.match(tree.stdout, /linux\/(amd64|arm64)/);
  await d.docker(['rm', cid]);
});
