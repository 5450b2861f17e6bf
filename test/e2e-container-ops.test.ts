import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
});
after(async () => {
  await d?.cleanup();
});

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
