import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { startBerthRegistry } from './registry-servers.js';
import { startRegistry } from './remotes-helpers.js';

// bcrypt (cost 4) of "s3cret-pw", for the registry's htpasswd.
const HTPASSWD = 'alice:$2b$04$5G4DCDhJO4GVVIftDblwyeFkZoR/6Sx7A1y6ptEx2B/h48fsIfexm\n';

/**
 * A private berthd whose DOCKER_CONFIG is `cfgDir` (berthd and both CLIs read the same config.json,
 * as on a host where root logs in), with busybox tagged as `name`.
 */
async function daemonWithBusybox(t: TestContext, cfgDir: string, name: string): Promise<TestDaemon> {
  const oldCfg = process.env['DOCKER_CONFIG'];
  process.env['DOCKER_CONFIG'] = cfgDir;
  t.after(() => (oldCfg === undefined ? delete process.env['DOCKER_CONFIG'] : (process.env['DOCKER_CONFIG'] = oldCfg)));
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');
  assert.equal((await d.berth(['tag', 'busybox', name])).code, 0);
  return d;
}

test('basic auth: push refused anonymously, wrong password refused, login then push and pull; docker login too', async (t) => {
  const reg = await startRegistry({ htpasswd: HTPASSWD });
  t.after(() => reg.stop());
  const cfgDir = await mkdtemp(join(tmpdir(), 'berth-remotes-cfg-'));
  t.after(() => rm(cfgDir, { recursive: true, force: true }));
  const d = await daemonWithBusybox(t, cfgDir, `${reg.host}/private/app:1`);
  const name = `${reg.host}/private/app:1`;

  const anon = await d.berth(['push', name]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr, /^Head "http:\/\/127\.0\.0\.1:\d+\/v2\/private\/app\/blobs\/sha256:[0-9a-f]{64}": no basic auth credentials$/m);

  const wrong = await d.berth(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'nope\n' });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /401|unauthorized/i);

  const ok = await d.berth(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret-pw\n' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  const cfg = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(cfg.auths[reg.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret-pw');

  const pushed = await d.berth(['push', name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal((await d.berth(['rmi', name])).code, 0);
  const pulled = await d.berth(['pull', name]);
  assert.equal(pulled.code, 0, pulled.stderr);

  // The docker CLI logs in through POST /auth and pulls with X-Registry-Auth.
  const dl = await d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret-pw\n' });
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal((await d.berth(['rmi', name])).code, 0);
  const dpull = await d.docker(['pull', name]);
  assert.equal(dpull.code, 0, dpull.stderr);

  const out = await d.berth(['logout', reg.host]);
  assert.match(out.stdout, /Removing login credentials/);
});

test('bearer tokens (berth registry --auth token): login, push, then a pull whose layers download on worker threads with the token', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'berth-remotes-token-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, 'htpasswd'), HTPASSWD);
  const reg = await startBerthRegistry({ root: join(root, 'reg'), args: ['--htpasswd', join(root, 'htpasswd'), '--auth', 'token'] });
  t.after(() => reg.stop());
  const name = `${reg.host}/team/app:1`;
  const d = await daemonWithBusybox(t, join(root, 'cfg'), name);

  const anon = await d.berth(['pull', name]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr, /unauthorized|authentication required/i);

  const ok = await d.berth(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret-pw\n' });
  assert.equal(ok.code, 0, ok.stderr);
  const pushed = await d.berth(['push', name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal((await d.berth(['rmi', '-f', name, 'busybox'])).code, 0);
  const pulled = await d.berth(['pull', name]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Pull complete/);
  const run = await d.berth(['run', '--rm', '--network', 'none', name, 'cat', '/etc/hostname']);
  assert.equal(run.code, 0, run.stderr);
});
