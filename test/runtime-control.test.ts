import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandNotFound, Conflict, NotFound } from '../src/errdefs/index.js';
import { createRuntime, readLogs } from '../src/core/runtime/index.js';
import type { ContainerSpecInput } from '../src/core/runtime/index.js';
import { runtimeFixture } from './helpers/runtime.js';

const fx = runtimeFixture('ctl');
const input = fx.input;

async function started(spec: ContainerSpecInput): Promise<string> {
  const logPath = join(spec.bundleDir, 'ctr.log');
  await fx.rt.create(spec, { logPath });
  await fx.rt.start(spec.id);
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
    assert.equal((await fx.rt.state(a.id))?.status, 'running');
    await sleep(100);
    await fx.rt.kill(a.id, 'TERM');
    await fx.rt.kill(b.id, 9);
    assert.equal((await fx.rt.waitExit(a.id, AbortSignal.timeout(10_000))).exitCode, 143);
    const wb = await fx.rt.waitExit(b.id, AbortSignal.timeout(10_000));
    assert.equal(wb.exitCode, 137);
    assert.equal(wb.oomKilled, false);
    assert.ok(Math.abs(wb.exitedAt.getTime() - Date.now()) < 10_000);
    assert.deepEqual(await fx.rt.exitStatus(b.id), { exitCode: 137, exitedAt: wb.exitedAt });
    await assert.rejects(fx.rt.kill(b.id, 'KILL'), Conflict);
  } finally {
    await fx.rt.delete(a.id, { force: true }).catch(() => undefined);
    await fx.rt.delete(b.id, { force: true }).catch(() => undefined);
  }
  await assert.rejects(fx.rt.kill(a.id, 'KILL'), NotFound);
  await assert.rejects(fx.rt.delete(a.id), NotFound);
});

test('pause stops progress, resume continues', async () => {
  const name = `count-${process.pid}-${fx.seq}`;
  const spec = input(['sh', '-c', `i=0; while true; do i=$((i+1)); echo $i >> /tmp/${name}; sleep 0.02; done`]);
  const file = join(fx.rootfs, 'tmp', name);
  try {
    await started(spec);
    await sleep(300);
    await fx.rt.pause(spec.id);
    assert.equal((await fx.rt.state(spec.id))?.status, 'paused');
    await assert.rejects(fx.rt.pause(spec.id), Conflict);
    const s1 = statSync(file).size;
    await sleep(400);
    assert.equal(statSync(file).size, s1, 'the file grew while paused');
    await fx.rt.resume(spec.id);
    assert.equal((await fx.rt.state(spec.id))?.status, 'running');
    await sleep(400);
    assert.ok(statSync(file).size > s1, 'the file did not grow after resume');
    await assert.rejects(fx.rt.delete(spec.id), Conflict);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
    rmSync(file, { force: true });
  }
  assert.equal(await fx.rt.state(spec.id), null);
});

test('waitExit and state from a new Runtime (berthd restarted)', async () => {
  const spec = input(['sh', '-c', 'sleep 0.5; echo done; exit 7']);
  const quick = input(['sh', '-c', 'exit 5']);
  try {
    await started(spec);
    await started(quick);
    // The first runtime object is dropped, as when berthd dies; a new one finds the containers from files.
    const again = createRuntime({ stateDir: join(fx.dir, 'state') });
    const ids = await again.list();
    assert.ok(ids.includes(spec.id) && ids.includes(quick.id));
    assert.equal((await again.state(spec.id))?.status, 'running');
    const w = await again.waitExit(spec.id, AbortSignal.timeout(10_000));
    assert.equal(w.exitCode, 7);
    const third = createRuntime({ stateDir: join(fx.dir, 'state') });
    assert.equal((await third.exitStatus(quick.id))?.exitCode, 5);
    assert.equal((await third.waitExit(quick.id)).exitCode, 5);
    assert.equal((await third.state(spec.id))?.status, 'stopped');
    await third.delete(spec.id);
    await third.delete(quick.id);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
    await fx.rt.delete(quick.id, { force: true }).catch(() => undefined);
  }
  await assert.rejects(fx.rt.waitExit(spec.id), NotFound);
});

test('waitExit can be aborted', async () => {
  const spec = input(['sleep', '1000']);
  try {
    await started(spec);
    await assert.rejects(fx.rt.waitExit(spec.id, AbortSignal.timeout(200)), /timeout|abort/i);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});

test('readLogs follows a running container and ends when it exits', async () => {
  const spec = input(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done; printf tail']);
  try {
    const logPath = await started(spec);
    const got: string[] = [];
    const t0 = new Date(Date.now() - 5000);
    for await (const e of readLogs(logPath, { follow: true, since: t0, stopWhen: fx.rt.waitExit(spec.id) })) {
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
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});

test('a container killed by the OOM killer reports oomKilled and 137', async () => {
  const spec = input(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], { resources: { memory: 16 << 20 } });
  try {
    await started(spec);
    const w = await fx.rt.waitExit(spec.id, AbortSignal.timeout(10_000));
    assert.equal(w.exitCode, 137);
    assert.equal(w.oomKilled, true);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
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
    const p = await fx.rt.exec(spec.id, { args: ['sh', '-c', 'echo $$ $BASE $EXTRA; id -u; echo oops >&2; exit 4'], env: ['EXTRA=2'], user: { uid: 1000, gid: 1000, additionalGids: [] } });
    assert.ok(p.pid > 0);
    const [out, err, st] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
    assert.match(out, /^\d+ 1 2\n1000\n$/);
    assert.notEqual(out.split(' ')[0], '1');
    assert.equal(err, 'oops\n');
    assert.equal(st.exitCode, 4);

    const c = await fx.rt.exec(spec.id, { args: ['cat'], openStdin: true });
    c.stdin?.end('piped\n');
    const [cOut, cSt] = await Promise.all([readAll(c.stdout), c.wait()]);
    assert.equal(cOut, 'piped\n');
    assert.equal(cSt.exitCode, 0);

    await assert.rejects(fx.rt.exec(spec.id, { args: ['nope-not-here'] }), (e: unknown) => {
      assert.ok(e instanceof CommandNotFound, String(e));
      assert.match(e.message, /executable file not found/);
      return true;
    });
    // The log of the container is untouched by exec output.
    const lines: string[] = [];
    for await (const e of readLogs(join(spec.bundleDir, 'ctr.log'), {})) lines.push(e.line.toString());
    assert.deepEqual(lines, []);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});
