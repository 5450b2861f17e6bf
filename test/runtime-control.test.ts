import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CommandNotFound, Conflict, NotFound } from '../src/errdefs/index.js';
import { createRuntime, readLogs } from '../src/core/runtime/index.js';
import type { ContainerSpecInput, Runtime } from '../src/core/runtime/index.js';
import { makeBusyboxRootfs } from './helpers/busybox.js';

let dir = '';
let rootfs = '';
let rt: Runtime;
const ids = new Set<string>();
let seq = 0;

before(() => {
  // realpath: runc refuses a rootfs reached through a symlink.
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-rt-ctl-')));
  rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs);
  makeBusyboxRootfs(rootfs);
  rt = createRuntime({ stateDir: join(dir, 'state') });
});

after(async () => {
  try {
    for (const id of await rt.list()) await rt.delete(id, { force: true }).catch(() => undefined);
    assertNothingLeft(dir, [...ids]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function assertNothingLeft(stateRoot: string, all: string[]): void {
  const runcState = join(stateRoot, 'state', 'runc');
  assert.deepEqual(existsSync(runcState) ? readdirSync(runcState) : [], [], 'runc state left');
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (st !== 'Z') assert.ok(!cmd.includes(stateRoot), `process ${pid} still runs: ${cmd.replace(/\0/g, ' ')}`);
  }
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    for (const id of all) assert.ok(!existsSync(join('/sys/fs/cgroup', ctl, 'berth', id)), `cgroup ${ctl}/berth/${id} left`);
  }
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(stateRoot), 'a mount under the test dir is left');
}

function input(args: string[], over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  const id = `ctl${process.pid}x${++seq}`;
  ids.add(id);
  const bundleDir = join(dir, 'bundles', id);
  mkdirSync(bundleDir, { recursive: true });
  return {
    id,
    rootfs,
    bundleDir,
    args,
    env: [],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'berthtest',
    tty: false,
    openStdin: false,
    network: { mode: 'none' },
    ...over,
  };
}

async function started(spec: ContainerSpecInput): Promise<string> {
  const logPath = join(spec.bundleDir, 'ctr.log');
  await rt.create(spec, { logPath });
  await rt.start(spec.id);
  return logPath;
}

const LOOP = 'trap "exit 143" TERM; while true; do sleep 0.05; done';

test('SIGTERM ends a container that handles it (143), SIGKILL any (137)', async () => {
  // pid 1 ignores signals it has no handler for, as under Docker: the trap stands in for an app's handler.
  const a = input(['sh', '-c', LOOP]);
  const b = input(['sleep', '1000']);
  try {
    await started(a);
    await started(b);
    assert.equal((await rt.state(a.id))?.status, 'running');
    await sleep(100);
    await rt.kill(a.id, 'TERM');
    await rt.kill(b.id, 9);
    assert.equal((await rt.waitExit(a.id, AbortSignal.timeout(10_000))).exitCode, 143);
    const wb = await rt.waitExit(b.id, AbortSignal.timeout(10_000));
    assert.equal(wb.exitCode, 137);
    assert.equal(wb.oomKilled, false);
    assert.ok(Math.abs(wb.exitedAt.getTime() - Date.now()) < 10_000);
    assert.deepEqual(await rt.exitStatus(b.id), { exitCode: 137, exitedAt: wb.exitedAt });
    await assert.rejects(rt.kill(b.id, 'KILL'), Conflict);
  } finally {
    await rt.delete(a.id, { force: true }).catch(() => undefined);
    await rt.delete(b.id, { force: true }).catch(() => undefined);
  }
  await assert.rejects(rt.kill(a.id, 'KILL'), NotFound);
  await assert.rejects(rt.delete(a.id), NotFound);
});

test('pause stops progress, resume continues', async () => {
  const name = `count-${process.pid}-${seq}`;
  const spec = input(['sh', '-c', `i=0; while true; do i=$((i+1)); echo $i >> /tmp/${name}; sleep 0.02; done`]);
  const file = join(rootfs, 'tmp', name);
  try {
    await started(spec);
    await sleep(300);
    await rt.pause(spec.id);
    assert.equal((await rt.state(spec.id))?.status, 'paused');
    await assert.rejects(rt.pause(spec.id), Conflict);
    const s1 = statSync(file).size;
    await sleep(400);
    assert.equal(statSync(file).size, s1, 'the file grew while paused');
    await rt.resume(spec.id);
    assert.equal((await rt.state(spec.id))?.status, 'running');
    await sleep(400);
    assert.ok(statSync(file).size > s1, 'the file did not grow after resume');
    await assert.rejects(rt.delete(spec.id), Conflict);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
    rmSync(file, { force: true });
  }
  assert.equal(await rt.state(spec.id), null);
});

test('waitExit and state from a new Runtime (berthd restarted)', async () => {
  const spec = input(['sh', '-c', 'sleep 0.5; echo done; exit 7']);
  const quick = input(['sh', '-c', 'exit 5']);
  try {
    await started(spec);
    await started(quick);
    // The first runtime object is dropped, as when berthd dies; a new one finds the containers from files.
    const again = createRuntime({ stateDir: join(dir, 'state') });
    const ids = await again.list();
    assert.ok(ids.includes(spec.id) && ids.includes(quick.id));
    assert.equal((await again.state(spec.id))?.status, 'running');
    const w = await again.waitExit(spec.id, AbortSignal.timeout(10_000));
    assert.equal(w.exitCode, 7);
    const third = createRuntime({ stateDir: join(dir, 'state') });
    assert.equal((await third.exitStatus(quick.id))?.exitCode, 5);
    assert.equal((await third.waitExit(quick.id)).exitCode, 5);
    assert.equal((await third.state(spec.id))?.status, 'stopped');
    await third.delete(spec.id);
    await third.delete(quick.id);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
    await rt.delete(quick.id, { force: true }).catch(() => undefined);
  }
  await assert.rejects(rt.waitExit(spec.id), NotFound);
});

test('waitExit can be aborted', async () => {
  const spec = input(['sleep', '1000']);
  try {
    await started(spec);
    await assert.rejects(rt.waitExit(spec.id, AbortSignal.timeout(200)), /timeout|abort/i);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});

test('readLogs follows a running container and ends when it exits', async () => {
  const spec = input(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done; printf tail']);
  try {
    const logPath = await started(spec);
    const got: string[] = [];
    const t0 = new Date(Date.now() - 5000);
    for await (const e of readLogs(logPath, { follow: true, since: t0, stopWhen: rt.waitExit(spec.id) })) {
      got.push(e.line.toString());
    }
    assert.deepEqual(got, ['line1\n', 'line2\n', 'line3\n', 'tail']);
    const last: string[] = [];
    for await (const e of readLogs(logPath, { tail: 2 })) last.push(e.line.toString());
    assert.deepEqual(last, ['line3\n', 'tail']);
    const none: string[] = [];
    for await (const e of readLogs(logPath, { since: new Date(Date.now() + 60_000) })) none.push(e.line.toString());
    assert.deepEqual(none, []);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});

test('a container killed by the OOM killer reports oomKilled and 137', async () => {
  const spec = input(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], { resources: { memory: 16 << 20 } });
  try {
    await started(spec);
    const w = await rt.waitExit(spec.id, AbortSignal.timeout(10_000));
    assert.equal(w.exitCode, 137);
    assert.equal(w.oomKilled, true);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
  assert.deepEqual(readdirSync(spec.bundleDir).filter((f) => f !== 'config.json' && f !== 'ctr.log'), []);
});

async function readAll(r: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of r) s += String(c);
  return s;
}

test('exec runs in the container: output, exit code, stdin, env, user, errors', async () => {
  const spec = input(['sleep', '1000'], { env: ['BASE=1'] });
  try {
    await started(spec);
    const p = await rt.exec(spec.id, { args: ['sh', '-c', 'echo $$ $BASE $EXTRA; id -u; echo oops >&2; exit 4'], env: ['EXTRA=2'], user: { uid: 1000, gid: 1000, additionalGids: [] } });
    assert.ok(p.pid > 0);
    const [out, err, st] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
    assert.match(out, /^\d+ 1 2\n1000\n$/);
    assert.notEqual(out.split(' ')[0], '1');
    assert.equal(err, 'oops\n');
    assert.equal(st.exitCode, 4);

    const c = await rt.exec(spec.id, { args: ['cat'], openStdin: true });
    c.stdin?.end('piped\n');
    const [cOut, cSt] = await Promise.all([readAll(c.stdout), c.wait()]);
    assert.equal(cOut, 'piped\n');
    assert.equal(cSt.exitCode, 0);

    await assert.rejects(rt.exec(spec.id, { args: ['nope-not-here'] }), (e: unknown) => {
      assert.ok(e instanceof CommandNotFound, String(e));
      assert.match(e.message, /executable file not found/);
      return true;
    });
    // The log of the container is untouched by exec output.
    const lines: string[] = [];
    for await (const e of readLogs(join(spec.bundleDir, 'ctr.log'), {})) lines.push(e.line.toString());
    assert.deepEqual(lines, []);
  } finally {
    await rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});
