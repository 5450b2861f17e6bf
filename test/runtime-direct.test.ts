import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runtimeFixture } from './helpers/runtime.js';

/*
 * berthd starts a created runc container and deletes a stopped one itself (core/runtime/runc-direct.ts)
 * instead of spawning `runc start` and `runc delete`. The runtime here is a wrapper that logs each
 * runc command it is given, so the tests see which steps runc still did.
 */
const wrapDir = mkdtempSync(join(tmpdir(), 'berth-runc-wrap-'));
const calls = join(wrapDir, 'calls');
const wrapper = join(wrapDir, 'runc');
writeFileSync(wrapper, `#!/bin/sh\nfor a in "$@"; do case "$a" in create|start|delete|kill|state) echo "$a" >> ${calls}; break;; esac; done\nexec /usr/sbin/runc "$@"\n`);
chmodSync(wrapper, 0o755);
after(() => rmSync(wrapDir, { recursive: true, force: true }));

const fx = runtimeFixture('direct', { runtimePath: () => wrapper });
const logged = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);

function cgroupPaths(id: string): string[] {
  const st = JSON.parse(readFileSync(join(fx.dir, 'state', 'runc', id, 'state.json'), 'utf8')) as { cgroup_paths: Record<string, string> };
  return Object.values(st.cgroup_paths);
}

test('a created container starts, and its stopped one goes, without runc start or runc delete', async () => {
  rmSync(calls, { force: true });
  const spec = fx.input(['sh', '-c', 'exit 7']);
  await fx.rt.create(spec, { logPath: join(spec.bundleDir, 'ctr.log') });
  let cgroups: string[] = [];
  try {
    cgroups = cgroupPaths(spec.id);
    assert.ok(cgroups.length > 0 && cgroups.every((p) => existsSync(p)));
    await fx.rt.start(spec.id);
    assert.equal((await fx.rt.waitExit(spec.id)).exitCode, 7);
    await fx.rt.delete(spec.id);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
  assert.deepEqual(logged(), ['create']);
  assert.deepEqual(cgroups.filter((p) => existsSync(p)), [], 'cgroups left after the delete');
  assert.equal(existsSync(join(fx.dir, 'state', 'runc', spec.id)), false, "runc's state folder is left");
});

test('a container that shares the host PID namespace is still deleted by runc (processes may be left in its cgroup)', async () => {
  rmSync(calls, { force: true });
  const spec = fx.input(['true'], { namespaces: { pid: { mode: 'host' } } });
  await fx.rt.create(spec, { logPath: join(spec.bundleDir, 'ctr.log') });
  try {
    await fx.rt.start(spec.id);
    await fx.rt.waitExit(spec.id);
    await fx.rt.delete(spec.id);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
  assert.deepEqual(logged(), ['create', 'delete']);
});

test('starting a container whose process is gone fails in words, and runc is not asked', async () => {
  rmSync(calls, { force: true });
  const spec = fx.input(['true']);
  const { pid } = await fx.rt.create(spec, { logPath: join(spec.bundleDir, 'ctr.log') });
  assert.ok(pid > 0);
  try {
    process.kill(pid, 'SIGKILL');
    await fx.rt.waitExit(spec.id);
    await assert.rejects(fx.rt.start(spec.id), /its process is already dead|not running|stopped/);
    assert.deepEqual(logged(), ['create']);
  } finally {
    await fx.rt.delete(spec.id, { force: true });
  }
});
