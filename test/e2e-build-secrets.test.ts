import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BERTH, eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

/** Whether `needle` is in any file under `dir` (grep -r reads binary files too). */
function foundUnder(dir: string, needle: string): string {
  try {
    return execFileSync('grep', ['-rl', '--', needle, dir], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

test('berth build --secret: files and variables mounted for the step, in no layer, history, config, cache key or log', async () => {
  const secret = `TOPSECRET-${randomBytes(8).toString('hex')}`;
  const other = `ENVSECRET-${randomBytes(8).toString('hex')}`;
  const file = join(d.dir, 'token.txt');
  writeFileSync(file, secret);
  const ctx = context('secrets', {
    Dockerfile: [
      'FROM busybox',
      'RUN --mount=type=secret,id=tok,required md5sum < /run/secrets/tok > /digest && stat -c "%a %u" /run/secrets/tok > /perm',
      'RUN --mount=type=secret,id=envtok,target=/etc/app/token,mode=0440,uid=1000 stat -c "%a %u" /etc/app/token >> /perm && md5sum < /etc/app/token >> /digest',
      'RUN --mount=type=secret,id=absent test -e /run/secrets/absent || echo absent >> /perm',
      'CMD ["sh", "-c", "cat /digest /perm; test -e /run/secrets || test -e /etc/app || echo no-mount-points"]',
    ].join('\n'),
  });
  const b = await d.run('env', [`ENVTOK=${other}`, BERTH, 'build', '--progress=plain', '--secret', `id=tok,src=${file}`, '--secret', 'id=envtok,env=ENVTOK', '-t', 'secret-img', ctx]);
  assert.equal(b.code, 0, b.stderr);
  const md5 = (s: string): string => `${createHash('md5').update(s).digest('hex')}  -\n`;
  assert.equal((await d.berth(['run', '--rm', 'secret-img'])).stdout, `${md5(secret)}${md5(other)}400 0\n440 1000\nabsent\nno-mount-points\n`);
  assert.doesNotMatch(b.stderr + b.stdout, new RegExp(`${secret}|${other}`));

  // Nowhere in the image: the saved tar, a flat export, history, inspect; nor in berthd's data root or log.
  const saved = join(d.dir, 'saved.tar');
  assert.equal((await d.berth(['save', '-o', saved, 'secret-img'])).code, 0);
  const unpacked = join(d.dir, 'saved');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xf', saved, '-C', unpacked]);
  for (const s of [secret, other]) {
    assert.equal(foundUnder(unpacked, s), '');
    assert.ok(!readFileSync(saved).includes(s));
  }
  const cid = (await d.berth(['create', 'secret-img'])).stdout.trim();
  const flat = join(d.dir, 'flat.tar');
  assert.equal((await d.berth(['export', '-o', flat, cid])).code, 0);
  assert.ok(readFileSync(flat).includes('/digest') || readFileSync(flat).includes('digest'));
  assert.ok(!readFileSync(flat).includes(secret));
  await d.berth(['rm', cid]);
  const hist = await d.berth(['history', '--no-trunc', 'secret-img']);
  assert.match(hist.stdout, /--mount=type=secret,gid=0,id=tok,mode=0400,required=true,target=\/run\/secrets\/tok,uid=0/);
  const inspect = await d.berth(['image', 'inspect', 'secret-img']);
  for (const s of [secret, other]) {
    assert.ok(!hist.stdout.includes(s) && !inspect.stdout.includes(s));
    assert.equal(foundUnder(d.dataRoot, s), '');
    assert.equal(foundUnder(d.execRoot, s), '');
    assert.ok(!readFileSync(d.logFile, 'utf8').includes(s));
  }

  // The step's private copies on /dev/shm are gone.
  assert.deepEqual(readdirSync('/dev/shm').filter((n) => n.startsWith(`berth-secret-${d.proc?.pid ?? 0}-`)), []);

  // The secret's value is not part of the cache key: another value reuses the steps, as BuildKit does.
  writeFileSync(file, `${secret}-rotated`);
  const again = await d.run('env', [`ENVTOK=${other}`, BERTH, 'build', '--progress=plain', '--secret', `id=tok,src=${file}`, '--secret', 'id=envtok,env=ENVTOK', '-t', 'secret-img', ctx]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /RUN --mount=type=secret,id=tok,required[^\n]*\n#\d+ CACHED/);
});

test('secrets: a required one missing is an error naming the line; the docker CLI (no secrets) builds the rest', async () => {
  const ctx = context('secret-missing', { Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=npmrc,required=true cat /run/secrets/npmrc\n' });
  const r = await d.berth(['build', '--progress=plain', ctx]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /secret npmrc not found: it is required/);
  const docker = await d.docker(['build', ctx]);
  assert.match(docker.stderr, /Dockerfile:2[\s\S]*secret npmrc not found/);
  const optional = await d.docker(['build', '-t', 'nosecret', context('secret-optional', { Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=npmrc (test -e /run/secrets/npmrc || echo none) > /r\nCMD ["cat", "/r"]\n' })]);
  assert.equal(optional.code, 0, optional.stderr + optional.stdout);
  assert.equal((await d.docker(['run', '--rm', 'nosecret'])).stdout, 'none\n');
  const bad = await d.berth(['build', '--secret', 'id=x,src=/does/not/exist', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /secret x: no such file: \/does\/not\/exist/);
  const env = await d.berth(['build', '--progress=plain', context('secret-env', { Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=tok,env=TOKEN true\n' })]);
  assert.match(env.stderr, /type=secret,env= \(docker\/dockerfile:1\.10\) is not supported/);
});

/** An image with Debian's ssh-add and the libraries it loads, on busybox. */
async function sshToolsImage(): Promise<void> {
  const root = join(d.dir, 'sshtools', 'root');
  const bins = ['/usr/bin/ssh-add'];
  const libs = execFileSync('ldd', bins, { encoding: 'utf8' }).split('\n').flatMap((l) => {
    const m = /(\/\S+) \(0x/.exec(l);
    return m?.[1] ? [m[1]] : [];
  });
  for (const f of [...bins, ...libs]) {
    mkdirSync(join(root, dirname(f)), { recursive: true });
    copyFileSync(f, join(root, f));
  }
  writeTree(join(d.dir, 'sshtools'), { Dockerfile: 'FROM busybox\nCOPY root/ /\n' });
  const b = await d.berth(['build', '-q', '-t', 'sshtools', join(d.dir, 'sshtools')]);
  assert.equal(b.code, 0, b.stderr);
}

test('berth build --ssh: the agent is forwarded to RUN --mount=type=ssh at /run/buildkit/ssh_agent.N with SSH_AUTH_SOCK', async () => {
  await sshToolsImage();
  const sock = join(d.dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  try {
    await eventually(() => Promise.resolve(existsSync(sock)));
    const key = join(d.dir, 'id_test');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-test-key', '-f', key]);
    execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const fingerprint = execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
    const ctx = context('ssh', {
      Dockerfile: [
        'FROM sshtools',
        'RUN --mount=type=ssh echo "$SSH_AUTH_SOCK" > /keys && ssh-add -l >> /keys',
        'RUN --mount=type=ssh,id=deploy,target=/agent.sock,required stat -c "%a" /agent.sock >> /keys && SSH_AUTH_SOCK=/agent.sock ssh-add -l >> /keys',
        'RUN (test -e /run/buildkit || echo no-socket-left) >> /keys; ssh-add -l >> /keys 2>&1; true',
        'CMD ["cat", "/keys"]',
      ].join('\n'),
    });
    const b = await d.run('env', [`SSH_AUTH_SOCK=${sock}`, BERTH, 'build', '--progress=plain', '--ssh', 'default', '--ssh', `deploy=${sock}`, '-t', 'ssh-img', ctx]);
    assert.equal(b.code, 0, b.stderr);
    const out = (await d.berth(['run', '--rm', 'ssh-img'])).stdout.split('\n');
    assert.equal(out[0], '/run/buildkit/ssh_agent.0');
    assert.ok(out[1]?.includes(fingerprint) && out[1].includes('berth-test-key'), out.join('\n'));
    assert.equal(out[2], '600');
    assert.ok(out[3]?.includes(fingerprint), out.join('\n'));
    assert.equal(out[4], 'no-socket-left');
    // Without the mount, no agent.
    assert.match(out[5] ?? '', /Could not open a connection to your authentication agent|Error connecting to agent/);
    const missing = await d.berth(['build', '--progress=plain', ctx]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no SSH agent or key was given for the ssh mount id deploy: it is required/);
    const notSocket = await d.berth(['build', '--ssh', `default=${join(d.dir, 'id_test')}`, ctx]);
    assert.match(notSocket.stderr, /is not an SSH agent socket/);
  } finally {
    agent.kill('SIGTERM');
  }
});
