import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

// bcrypt (cost 4) of "s3cret-pw", for the registry's htpasswd.
const HTPASSWD = 'alice:$2b$04$5G4DCDhJO4GVVIftDblwyeFkZoR/6Sx7A1y6ptEx2B/h48fsIfexm\n';

test('FROM an image berthd lacks is pulled with the credentials the client sends (X-Registry-Config); --pull pulls again', async (t) => {
  const reg = await startRegistry({ htpasswd: HTPASSWD });
  t.after(() => reg.stop());
  const daemonCfg = await mkdtemp(join(tmpdir(), 'berth-build-daemoncfg-'));
  const cliCfg = await mkdtemp(join(tmpdir(), 'berth-build-clicfg-'));
  t.after(() => Promise.all([rm(daemonCfg, { recursive: true, force: true }), rm(cliCfg, { recursive: true, force: true })]).then(() => undefined));
  const oldCfg = process.env['DOCKER_CONFIG'];
  t.after(() => (oldCfg === undefined ? delete process.env['DOCKER_CONFIG'] : (process.env['DOCKER_CONFIG'] = oldCfg)));
  // berthd has no stored login of its own: only what the clients send can open the registry.
  process.env['DOCKER_CONFIG'] = daemonCfg;
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');
  process.env['DOCKER_CONFIG'] = cliCfg;
  const base = `${reg.host}/private/base:1`;
  assert.equal((await d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret-pw\n' })).code, 0);
  assert.equal((await d.docker(['tag', 'busybox', base])).code, 0);
  const push = await d.docker(['push', base]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await d.docker(['rmi', base])).code, 0);

  const ctx = join(d.dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo pulled base > /p\nCMD ["cat", "/p"]\n`);
  process.env['DOCKER_CONFIG'] = daemonCfg;
  const anonymous = await d.docker(['build', '-t', 'frompulled', ctx]);
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.stderr, /no basic auth credentials/);
  process.env['DOCKER_CONFIG'] = cliCfg;
  const b = await d.docker(['build', '-t', 'frompulled', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /Pulling from private\/base|Downloaded newer image|Status: /);
  assert.equal((await d.docker(['run', '--rm', 'frompulled'])).stdout, 'pulled base\n');
  // berth build sends the same header; --pull fetches the base again though it is present.
  const again = await d.berth(['build', '--pull', '--progress=plain', '-t', 'frompulled', ctx]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.match(again.stderr, /^#1 \d+\.\d+ (Status: Image is up to date|Digest: sha256:)/m);
  assert.match(again.stderr, /^#2 CACHED$/m);
});
