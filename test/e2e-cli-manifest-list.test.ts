import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, useBusyboxDaemon, type RunResult } from './helpers/daemon.js';
import { startBerthRegistry } from './registry-servers.js';
import { startRegistry } from './remotes-helpers.js';

// bcrypt (cost 4) of "s3cret-pw", for the registry's htpasswd.
const HTPASSWD = 'alice:$2b$04$5G4DCDhJO4GVVIftDblwyeFkZoR/6Sx7A1y6ptEx2B/h48fsIfexm\n';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A second platform of the pushed busybox: the same layers under a config that says linux/arm64. */
async function pushArm64(url: string, repo: string, from: string, tag: string): Promise<void> {
  const accept = { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' };
  const res = await fetch(`${url}/v2/${repo}/manifests/${from}`, { headers: accept });
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0] as string;
  const m = (await res.json()) as { config: { digest: string; size: number } };
  const cfg = (await (await fetch(`${url}/v2/${repo}/blobs/${m.config.digest}`)).json()) as Record<string, unknown>;
  const body = Buffer.from(JSON.stringify({ ...cfg, architecture: 'arm64' }));
  const up = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(up.headers.get('location') as string, url);
  loc.searchParams.set('digest', sha(body));
  assert.equal((await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body })).status, 201);
  const next = { ...m, config: { ...m.config, digest: sha(body), size: body.length } };
  const put = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: JSON.stringify(next) });
  assert.equal(put.status, 201);
}

test('berth manifest create/annotate/push/rm: one store with the docker CLI, the pushed list as docker pushes it, pulled per platform', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const cfg = await mkdtemp(join(tmpdir(), 'berth-manifest-list-'));
  t.after(() => rm(cfg, { recursive: true, force: true }));
  const withCfg = (cmd: string, args: string[]): Promise<RunResult> => d.run('env', [`DOCKER_CONFIG=${cfg}`, cmd, ...args]);
  const berth = (...args: string[]): Promise<RunResult> => withCfg(BERTH, ['manifest', ...args]);
  const docker = (...args: string[]): Promise<RunResult> => withCfg('docker', ['manifest', ...args]);
  const ok = (r: RunResult, what: string): string => {
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    return r.stdout;
  };

  const amd = `${reg.host}/ml/src:amd64`;
  const arm = `${reg.host}/ml/src:arm64`;
  assert.equal((await d.berth(['tag', 'busybox', amd])).code, 0);
  ok(await d.berth(['push', amd]), 'push');
  await pushArm64(reg.url, 'ml/src', 'amd64', 'arm64');

  const list = `${reg.host}/ml/list:1`;
  assert.equal(ok(await berth('create', list, amd, arm), 'create'), `Created manifest list ${list}\n`);
  // The docker CLI's own store: the list is a directory of entries named as the docker CLI names them.
  assert.deepEqual(await readdir(join(cfg, 'manifests', `${reg.host.replace(':', '-')}_ml_list-1`)), [
    `${reg.host.replace(':', '-')}_ml_src-amd64`, `${reg.host.replace(':', '-')}_ml_src-arm64`,
  ]);
  const again = await berth('create', list, amd);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, (await docker('create', list, amd)).stderr);
  assert.match(again.stderr, /refusing to amend an existing manifest list with no --amend flag/);
  ok(await berth('create', '--amend', list, amd), 'create --amend');

  // Both CLIs read the same local list, in the same words.
  const local = ok(await berth('inspect', list), 'inspect local');
  assert.equal(local, ok(await docker('inspect', list), 'docker inspect local'));
  assert.match(local, /"architecture": "arm64"/);
  assert.equal(ok(await berth('inspect', '-v', list), 'inspect -v'), ok(await docker('inspect', '-v', list), 'docker inspect -v'));
  assert.equal(ok(await berth('inspect', list, arm), 'inspect entry'), ok(await docker('inspect', list, arm), 'docker inspect entry'));

  // annotate by one CLI is seen by the other.
  ok(await berth('annotate', list, arm, '--variant', 'v8', '--os-features', 'f1'), 'annotate');
  ok(await docker('annotate', list, arm, '--os-features', 'f2'), 'docker annotate');
  const annotated = JSON.parse(ok(await berth('inspect', list), 'inspect')) as { manifests: { platform: Record<string, unknown> }[] };
  assert.deepEqual(annotated.manifests[1]?.platform, { architecture: 'arm64', os: 'linux', 'os.features': ['f1', 'f2'], variant: 'v8' });
  for (const [args, words] of [
    [[list, arm, '--arch', 'nope'], 'manifest entry for image has unsupported os/arch combination: /nope'],
    [[list, `${reg.host}/ml/src:other`], `manifest for image ${reg.host}/ml/src:other does not exist in ${list}`],
  ] as const) {
    const b = await berth('annotate', ...args);
    const dk = await docker('annotate', ...args);
    assert.equal(b.code, 1);
    assert.equal(dk.code, 1);
    assert.equal(b.stderr.trim(), words);
    assert.equal(b.stderr, dk.stderr);
  }

  // The same list made and pushed by the docker CLI: both pushes give the same bytes, so the same digest.
  const twin = `${reg.host}/ml/twin:1`;
  ok(await docker('create', '--insecure', twin, amd, arm), 'docker create');
  ok(await docker('annotate', twin, arm, '--variant', 'v8', '--os-features', 'f1,f2'), 'docker annotate twin');
  const dockerPush = ok(await docker('push', '--insecure', twin), 'docker push').trim().split('\n');
  const berthPush = ok(await berth('push', '--purge', list), 'push').trim().split('\n');
  assert.equal(berthPush.length, 3);
  assert.match(berthPush[0] as string, new RegExp(`^Pushed ref ${reg.host}/ml/list@sha256:[a-f0-9]{64} with digest: sha256:[a-f0-9]{64}$`));
  assert.equal(berthPush.at(-1), dockerPush.at(-1));
  // --purge: the local list is gone, so inspect now reads the registry.
  assert.equal((await berth('rm', list)).stderr, `No such manifest: ${list}\n`);

  const raw = await d.run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${list}`]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha(raw.stdout), berthPush.at(-1));
  const pushed = JSON.parse(raw.stdout) as { mediaType: string; manifests: { digest: string; platform: { architecture: string; variant?: string } }[] };
  assert.equal(pushed.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.deepEqual(pushed.manifests.map((m) => `${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`), ['amd64', 'arm64/v8']);
  // The referenced manifests were put into the list's repository (its blobs mounted from ml/src).
  for (const m of pushed.manifests) {
    const one = await d.run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/ml/list@${m.digest}`]);
    assert.equal(one.code, 0, one.stderr);
  }
  const remote = ok(await docker('inspect', '--insecure', list), 'docker inspect remote');
  assert.equal(ok(await berth('inspect', '--insecure', list), 'berth inspect remote'), remote);

  // Pulled per platform, by berth and by the docker CLI through berthd.
  for (const [platform, arch] of [['linux/arm64', 'arm64'], ['linux/amd64', 'amd64']] as const) {
    ok(await d.berth(['pull', '--platform', platform, list]), `pull ${platform}`);
    assert.equal(ok(await d.berth(['image', 'inspect', '--format', '{{.Architecture}}', list]), 'image inspect').trim(), arch);
    ok(await d.berth(['rmi', list]), 'rmi');
    ok(await d.docker(['pull', '--platform', platform, list]), `docker pull ${platform}`);
    assert.equal(ok(await d.docker(['image', 'inspect', '--format', '{{.Architecture}}', list]), 'docker image inspect').trim(), arch);
    ok(await d.berth(['rmi', list]), 'rmi');
  }

  // rm of lists, one missing: the others are removed, the missing one named, exit 1 as the docker CLI does.
  ok(await berth('create', `${reg.host}/ml/a:1`, amd), 'create a');
  const rmBoth = await berth('rm', `${reg.host}/ml/a:1`, `${reg.host}/ml/b:1`);
  assert.equal(rmBoth.code, 1);
  assert.equal(rmBoth.stderr, `No such manifest: ${reg.host}/ml/b:1\n`);
  assert.equal((await docker('inspect', `${reg.host}/ml/a:1`)).code, 1);
  // A list whose image lives on another registry name is refused at push, in the docker CLI's words.
  ok(await berth('create', `${reg.host}/ml/c:1`, amd.replace('127.0.0.1', 'localhost')), 'create other registry');
  const cross = await berth('push', `${reg.host}/ml/c:1`);
  assert.equal(cross.code, 1);
  assert.equal(cross.stderr, (await docker('push', `${reg.host}/ml/c:1`)).stderr);
  assert.match(cross.stderr, /cannot use source images from a different registry than the target image/);
  ok(await berth('rm', `${reg.host}/ml/c:1`), 'rm c');
});

test('manifest push to a registry with bearer tokens (berth registry --auth token): blobs mounted across repositories with the login\'s token', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'berth-manifest-token-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, 'htpasswd'), HTPASSWD);
  const reg = await startBerthRegistry({ root: join(root, 'reg'), args: ['--htpasswd', join(root, 'htpasswd'), '--auth', 'token'] });
  t.after(() => reg.stop());
  const cfg = join(root, 'cfg');
  const withCfg = (cmd: string, args: string[], input?: string): Promise<RunResult> => d.run('env', [`DOCKER_CONFIG=${cfg}`, cmd, ...args], input ? { input } : {});
  const src = `${reg.host}/team/src:1`;
  const list = `${reg.host}/team/list:1`;
  assert.equal((await d.berth(['tag', 'busybox', src])).code, 0);
  const anon = await withCfg(BERTH, ['manifest', 'create', list, src]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /unauthorized/i);
  const login = await withCfg(BERTH, ['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret-pw\n');
  assert.equal(login.code, 0, login.stderr);
  const pushed = await withCfg(BERTH, ['push', src]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const created = await withCfg(BERTH, ['manifest', 'create', list, src]);
  assert.equal(created.code, 0, created.stderr);
  const push = await withCfg(BERTH, ['manifest', 'push', list]);
  assert.equal(push.code, 0, push.stderr);
  const digest = push.stdout.trim().split('\n').at(-1) as string;
  const raw = await d.run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'alice:s3cret-pw', `docker://${list}`]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha(raw.stdout), digest);
  // The entry's manifest and its layers are now in team/list itself.
  const entry = (JSON.parse(raw.stdout) as { manifests: { digest: string }[] }).manifests[0]?.digest as string;
  const copy = await d.run('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:s3cret-pw', `docker://${reg.host}/team/list@${entry}`]);
  assert.equal(copy.code, 0, copy.stderr);
  const remote = await withCfg('docker', ['manifest', 'inspect', '--insecure', list]);
  assert.equal(remote.code, 0, remote.stderr);
  assert.equal((await withCfg(BERTH, ['manifest', 'inspect', list])).stdout, remote.stdout);
});
