import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('rename, with Docker conflict messages', async () => {
  await d.berth(['create', '--name', 'old-name', 'busybox', 'true']);
  await d.berth(['create', '--name', 'other', 'busybox', 'true']);
  assert.equal((await d.docker(['rename', 'old-name', 'new-name'])).code, 0);
  assert.equal((await d.berth(['inspect', '-f', '{{.Name}}', 'new-name'])).stdout.trim(), '/new-name');
  const clash = await d.berth(['rename', 'new-name', 'other']);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /already in use/);
  await d.berth(['rm', 'new-name', 'other']);
});

test('top lists the container processes with ps columns', async () => {
  const id = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'sleep 300 & sleep 301'])).stdout.trim();
  const r = await d.docker(['top', id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
  assert.match(r.stdout, /sleep 300/);
  assert.match(r.stdout, /sleep 301/);
  assert.doesNotMatch(r.stdout, /berthd/);
  const aux = await d.berth(['top', id, 'aux']);
  assert.match(aux.stdout, /USER\s+PID\s+%CPU/);
  await d.berth(['rm', '-f', id]);
});

test('stats --no-stream reports CPU, memory against the limit, and pids', async () => {
  const id = (await d.berth(['run', '-d', '-m', '64m', '--name', 'busy', 'busybox', 'sh', '-c', 'while true; do :; done'])).stdout.trim();
  const r = await d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', id]);
  assert.equal(r.code, 0, r.stderr);
  const [name, cpu, usage, , limit, pids] = r.stdout.trim().split(' ');
  assert.equal(name, 'busy');
  assert.ok(Number.parseFloat(cpu ?? '') > 10, `a busy loop uses CPU: ${r.stdout}`);
  assert.match(usage ?? '', /B$/);
  assert.equal(limit, '64MiB');
  assert.equal(pids, '1');
  const b = await d.berth(['stats', '--no-stream', 'busy']);
  assert.match(b.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/m);
  await d.berth(['rm', '-f', id]);
});

test('update changes limits of a running container and its restart policy', async () => {
  const id = (await d.berth(['run', '-d', '-m', '32m', 'busybox', 'sleep', '300'])).stdout.trim();
  const u = await d.docker(['update', '--memory', '48m', '--memory-swap', '96m', '--pids-limit', '33', '--restart', 'on-failure:3', id]);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(u.stdout.trim(), id);
  const hc = JSON.parse((await d.docker(['inspect', id])).stdout)[0].HostConfig;
  assert.equal(hc.Memory, 48 << 20);
  assert.equal(hc.PidsLimit, 33);
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  const cg = await d.berth(['exec', id, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']).catch(() => undefined);
  if (cg && cg.code === 0) assert.equal(cg.stdout.trim(), String(48 << 20));
  const st = await d.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', id]);
  assert.match(st.stdout, /\/ 48MiB/);
  await d.berth(['rm', '-f', id]);
});
