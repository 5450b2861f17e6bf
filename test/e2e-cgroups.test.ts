import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * --cgroup-parent (and the daemon's default), --cpuset-mems and --memory-swappiness through the
 * docker CLI 28 and berth's CLI, each read back from the real cgroup files of the running container.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const ROOT = '/sys/fs/cgroup';
const V1 = existsSync(`${ROOT}/memory/cgroup.procs`);
/** Every hierarchy mounted under /sys/fs/cgroup (v1 controllers, name=systemd, the unified one), or the v2 root. */
const HIERARCHIES = V1 ? readdirSync(ROOT).filter((c) => existsSync(join(ROOT, c, 'cgroup.procs'))) : [''];

/** A parent cgroup name of this run's own, removed by `removeParent`. */
const uniqueParent = (tag: string): string => `berth-e2e-${tag}-${randomBytes(3).toString('hex')}`;

/** Removes a parent the test made (dockerd leaves parents behind; a test must not), deepest first, in every hierarchy. */
function removeParent(parent: string): void {
  const rm = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    rmdirSync(dir);
  };
  for (const h of HIERARCHIES) rm(join(ROOT, h, parent.replace(/^\/+/, '').split('/')[0] ?? ''));
}

async function inspect(name: string): Promise<{ HostConfig: Record<string, unknown>; State: { Pid: number }; Id: string }> {
  return JSON.parse((await d.docker(['inspect', name])).stdout)[0];
}

/** The container's cgroup in each hierarchy, from the host's /proc/<pid>/cgroup. */
function cgroupsOf(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path !== undefined) out.set(controllers ?? '', path);
  }
  return out;
}

test('--cgroup-parent puts the container\'s cgroup at <parent>/<id> in every controller; relative parents are rooted', async () => {
  const rel = uniqueParent('rel');
  const abs = `/${uniqueParent('abs')}/sub`;
  try {
    for (const [cli, parent, expected] of [['docker', rel, `/${rel}`], ['berth', abs, abs]] as const) {
      const r = await d[cli](['run', '-d', '--name', `cg-${cli}`, '--cgroup-parent', parent, 'busybox', 'sleep', '300']);
      assert.equal(r.code, 0, r.stderr);
      const c = await inspect(`cg-${cli}`);
      assert.equal(c.HostConfig['CgroupParent'], parent, 'inspect shows the parent as asked');
      const seen = cgroupsOf(c.State.Pid);
      assert.ok(seen.size >= 2, 'the process is in some cgroups');
      for (const [ctrl, path] of seen) {
        if (ctrl === '' && path === '/') continue; // a unified hierarchy runc does not use
        assert.equal(path, `${expected}/${c.Id}`, `${cli}: ${ctrl || 'unified'}`);
      }
      for (const h of HIERARCHIES) {
        const procs = join(ROOT, h, expected, c.Id, 'cgroup.procs');
        if (h === 'unified' && !existsSync(procs)) continue;
        assert.ok(readFileSync(procs, 'utf8').split('\n').includes(String(c.State.Pid)), `${procs} holds the container's process`);
      }
      // docker top and stats find the processes and figures under the parent.
      const top = await d.docker(['top', `cg-${cli}`]);
      assert.match(top.stdout, /sleep 300/, top.stderr);
      const stats = await d.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', `cg-${cli}`]);
      assert.equal(stats.code, 0, stats.stderr);
      assert.doesNotMatch(stats.stdout, /^0B \//);
      // docker update changes limits, never the parent.
      const u = await d.docker(['update', '--memory', '64m', '--memory-swap', '128m', `cg-${cli}`]);
      assert.equal(u.code, 0, u.stderr);
      if (V1) assert.equal(readFileSync(join(ROOT, 'memory', expected, c.Id, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
      assert.equal((await inspect(`cg-${cli}`)).HostConfig['CgroupParent'], parent);
      const move = await d.api('POST', `/containers/cg-${cli}/update`, { CgroupParent: '/elsewhere' });
      assert.equal(move.status, 400);
      assert.deepEqual(move.json, { message: 'HostConfig.CgroupParent cannot be changed by docker update (it is fixed when the container is created)' });
      assert.equal(cgroupsOf(c.State.Pid).get('memory') ?? `${expected}/${c.Id}`, `${expected}/${c.Id}`);
      // Stopped, the container's cgroups go; the parent stays, as dockerd leaves it.
      assert.equal((await d.docker(['stop', '-t', '0', `cg-${cli}`])).code, 0);
      for (const h of HIERARCHIES) {
        assert.ok(!existsSync(join(ROOT, h, expected, c.Id)), `${h}: the container's cgroup is removed`);
        if (h !== 'unified') assert.ok(existsSync(join(ROOT, h, expected)), `${h}: the parent stays`);
      }
      // Started again, it goes back under the same parent.
      assert.equal((await d.docker(['start', `cg-${cli}`])).code, 0);
      const again = await inspect(`cg-${cli}`);
      if (V1) assert.equal(cgroupsOf(again.State.Pid).get('pids'), `${expected}/${c.Id}`);
      assert.equal((await d.docker(['rm', '-f', `cg-${cli}`])).code, 0);
      for (const h of HIERARCHIES) assert.ok(!existsSync(join(ROOT, h, expected, c.Id)), `${h}: removed with the container`);
    }
  } finally {
    await d.docker(['rm', '-f', 'cg-docker', 'cg-berth']);
    removeParent(rel);
    removeParent(abs);
  }
  for (const p of [rel, abs]) for (const h of HIERARCHIES) assert.ok(!existsSync(join(ROOT, h, p)), 'the test removed its parents');
});

test('a --cgroup-parent that would leave the cgroup tree is refused, by the API, docker and berth', async () => {
  for (const bad of ['../escape', '/a/../../b', 'x/./y']) {
    const r = await d.docker(['run', '--rm', '--cgroup-parent', bad, 'busybox', 'true']);
    assert.equal(r.code, 125, bad);
    assert.match(r.stderr, /invalid --cgroup-parent ".*": a cgroup parent may not contain "\." or "\.\." \(it would leave the cgroup tree\)/);
  }
  const b = await d.berth(['create', '--cgroup-parent', '../x', 'busybox', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /a cgroup parent may not contain/);
  const api = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { CgroupParent: 7 } });
  assert.equal(api.status, 400);
  assert.deepEqual(api.json, { message: 'HostConfig.CgroupParent must be a string' });
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '', 'nothing was made');
  for (const h of HIERARCHIES) assert.ok(!existsSync(join(ROOT, h, 'escape')) && !existsSync(join(ROOT, h, 'x')));
});

test('daemon.json cgroup-parent is the default of containers that name none; inspect shows what the container asked', async () => {
  const dflt = uniqueParent('dflt');
  const own = uniqueParent('own');
  const other = await TestDaemon.start({ config: () => ({ 'cgroup-parent': dflt }) });
  try {
    await other.makeBusyboxImage();
    const r = await other.docker(['run', '-d', '--name', 'dflt', '--network', 'none', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse((await other.docker(['inspect', 'dflt'])).stdout)[0];
    assert.equal(c.HostConfig.CgroupParent, '', 'as dockerd: the daemon default is not the container\'s HostConfig');
    const seen = cgroupsOf(c.State.Pid);
    assert.equal(seen.get(V1 ? 'pids' : ''), `/${dflt}/${c.Id}`);
    if (V1) assert.equal(seen.get('memory'), `/${dflt}/${c.Id}`);
    const mine = await other.docker(['run', '--rm', '--network', 'none', '--cgroup-parent', own, 'busybox', 'cat', '/proc/self/cgroup']);
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout, new RegExp(`^\\d+:pids:/${own}/[0-9a-f]{64}$`, 'm'), 'the container\'s own parent wins');
    // After a restart the running container is still found (top) under the parent it was made with.
    await other.crash();
    await other.spawn();
    const top = await other.docker(['top', 'dflt']);
    assert.match(top.stdout, /sleep 300/, top.stderr);
    assert.equal((await other.docker(['rm', '-f', 'dflt'])).code, 0);
    assert.ok(!existsSync(join(ROOT, V1 ? 'pids' : '', dflt, c.Id)));
  } finally {
    await other.cleanup();
    removeParent(dflt);
    removeParent(own);
  }
  const bad = await TestDaemon.start({ args: ['--cgroup-parent', '../up'] }).then(
    async (x) => {
      await x.cleanup();
      return 'started';
    },
    (e: unknown) => String(e),
  );
  assert.match(bad, /invalid --cgroup-parent "\.\.\/up": a cgroup parent may not contain/);
});

test('--cpuset-mems sets cpuset.mems, checked against the host\'s memory nodes; docker update changes it', async () => {
  const mems = readFileSync(`${ROOT}/cpuset/cpuset.effective_mems`, 'utf8').trim();
  const first = mems.split(/[-,]/)[0] ?? '0';
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--name', `mems-${cli}`, '--cpuset-mems', first, 'busybox', 'cat', '/sys/fs/cgroup/cpuset/cpuset.mems']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), first, cli);
    assert.equal((await inspect(`mems-${cli}`)).HostConfig['CpusetMems'], first);
    await d.docker(['rm', `mems-${cli}`]);
  }
  const missing = await d.docker(['run', '--rm', '--cpuset-mems', '63', 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, new RegExp(`Requested memory nodes are not available - requested 63, available: ${mems}`));
  const bad = await d.berth(['run', '--rm', '--cpuset-mems', 'one', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Invalid value one for cpuset mems/);
  const cpus = await d.docker(['run', '--rm', '--cpuset-cpus', '999', 'busybox', 'true']);
  assert.match(cpus.stderr, /Requested CPUs are not available - requested 999, available: /);

  const run = await d.docker(['run', '-d', '--name', 'memsu', '-m', '48m', 'busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  try {
    assert.equal((await inspect('memsu')).HostConfig['CpusetMems'], '');
    for (const cli of ['docker', 'berth'] as const) {
      const u = await d[cli](['update', '--cpuset-mems', first, 'memsu']);
      assert.equal(u.code, 0, u.stderr);
      const read = await d.docker(['exec', 'memsu', 'cat', '/sys/fs/cgroup/cpuset/cpuset.mems', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
      assert.deepEqual(read.stdout.trim().split('\n'), [first, String(48 << 20)], cli);
      assert.equal((await inspect('memsu')).HostConfig['CpusetMems'], first);
    }
    const no = await d.docker(['update', '--cpuset-mems', '63', 'memsu']);
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /Requested memory nodes are not available - requested 63/);
    assert.equal((await inspect('memsu')).HostConfig['CpusetMems'], first, 'a refused update changes nothing');
  } finally {
    await d.docker(['rm', '-f', 'memsu']);
  }
});

test('--memory-swappiness 0..100 sets memory.swappiness; -1 inherits; out of range is refused in dockerd\'s words', async () => {
  const file = '/sys/fs/cgroup/memory/memory.swappiness';
  if (!existsSync(`${ROOT}/memory/memory.swappiness`)) {
    const r = await d.docker(['run', '--rm', '--memory-swappiness', '10', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Your kernel does not support memory swappiness capabilities or the cgroup is not mounted/);
    return;
  }
  for (const [cli, v] of [['docker', '17'], ['berth', '0']] as const) {
    const r = await d[cli](['run', '--name', `sw-${cli}`, '--memory-swappiness', v, 'busybox', 'cat', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), v, cli);
    assert.equal((await inspect(`sw-${cli}`)).HostConfig['MemorySwappiness'], Number(v));
    await d.docker(['rm', `sw-${cli}`]);
  }
  const parent = readFileSync(`${ROOT}/memory/berth/memory.swappiness`, 'utf8').trim();
  const inherit = await d.docker(['run', '--name', 'sw-inherit', '--memory-swappiness', '-1', 'busybox', 'cat', file]);
  assert.equal(inherit.code, 0, inherit.stderr);
  assert.equal(inherit.stdout.trim(), parent, 'the parent\'s swappiness');
  assert.equal((await inspect('sw-inherit')).HostConfig['MemorySwappiness'], null);
  await d.docker(['rm', 'sw-inherit']);
  // The docker CLI checks the range itself; dockerd's words come from the API and through berth.
  const cli = await d.docker(['run', '--rm', '--memory-swappiness', '101', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /Valid memory swappiness range is 0-100/);
  for (const v of ['101', '-2']) {
    const bad = await d.berth(['run', '--rm', '--memory-swappiness', v, 'busybox', 'true']);
    assert.equal(bad.code, 125, v);
    assert.match(bad.stderr, new RegExp(`Invalid value: ${v}, valid memory swappiness range is 0-100`));
  }
  const api = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { MemorySwappiness: 200 } });
  assert.equal(api.status, 400);
  assert.deepEqual(api.json, { message: 'Invalid value: 200, valid memory swappiness range is 0-100' });
});

test('--cpu-rt-runtime under a nested --cgroup-parent: berth gives each cgroup of the parent the real-time time', async () => {
  if (!existsSync(`${ROOT}/cpu/cpu.rt_runtime_us`)) return;
  const top = uniqueParent('rt');
  const parent = `/${top}/inner`;
  try {
    const r = await d.docker(['run', '--name', 'rtp', '--cgroup-parent', parent, '--cpu-rt-runtime', '10000', 'busybox', 'cat', '/sys/fs/cgroup/cpu/cpu.rt_runtime_us', '/proc/self/cgroup']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], '10000');
    assert.match(r.stdout, new RegExp(`^\\d+:cpu:${parent}/[0-9a-f]{64}$`, 'm'));
    assert.ok(Number(readFileSync(join(ROOT, 'cpu', top, 'cpu.rt_runtime_us'), 'utf8')) >= 10000, 'the top of the parent holds the budget');
    assert.equal((await d.docker(['rm', 'rtp'])).code, 0);
  } finally {
    await d.docker(['rm', '-f', 'rtp']);
    removeParent(parent);
  }
});
