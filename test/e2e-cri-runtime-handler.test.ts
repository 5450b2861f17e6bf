import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriClient, status } from './helpers/cri.js';
import { containerStatus, createStarted, failed, netnsFiles, podConfig, podStatus, pods, runPod, runningStatus, usePodsFixture, type Msg } from './helpers/cri-pods.js';

/*
 * RunPodSandbox's runtime_handler names one of berthd's runtimes (daemon.json `runtimes`), as
 * containerd maps handlers to its runtime table: here `logged`, a script that writes each call to a
 * file and runs runc, so the test sees which runtime ran the pod's containers.
 */
const CRUN = existsSync('/usr/bin/crun');
const wrapper = (dir: string): string => join(dir, 'logged-runc');
const callLog = (): string => join(pods.d.dir, 'logged-runc.log');

usePodsFixture({
  config: (dir) => ({ runtimes: { logged: { path: wrapper(dir) } } }),
  beforeSpawn: async (d) => {
    await writeFile(wrapper(d.dir), `#!/bin/sh\necho "$*" >> ${join(d.dir, 'logged-runc.log')}\nexec /usr/sbin/runc "$@"\n`);
    await chmod(wrapper(d.dir), 0o755);
  },
});

async function calls(): Promise<string[]> {
  return (await readFile(callLog(), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

async function runWith(name: string, handler: string): Promise<string> {
  await mkdir(join(pods.logRoot, name), { recursive: true });
  const r = CriClient.ok(await pods.cri.rt('RunPodSandbox', { config: podConfig(name), runtime_handler: handler })) as { pod_sandbox_id: string };
  return r.pod_sandbox_id;
}

test('a pod whose runtime_handler names a configured runtime runs its containers with it; status and list show the handler', async () => {
  const pod = await runWith('handled', 'logged');
  const st = await podStatus(pod);
  assert.equal(st['runtime_handler'], 'logged');
  const verbose = CriClient.ok(await pods.cri.rt('PodSandboxStatus', { pod_sandbox_id: pod, verbose: true })) as { info: Record<string, string> };
  const info = JSON.parse(verbose.info['info'] ?? '{}') as { runtimeHandler: string; runtime: string };
  assert.deepEqual([info.runtimeHandler, info.runtime], ['logged', 'logged']);
  const listed = (CriClient.ok(await pods.cri.rt('ListPodSandbox', {})) as { items: Msg[] }).items.find((p) => p['id'] === pod);
  assert.equal(listed?.['runtime_handler'], 'logged');

  const before = (await calls()).length;
  const c = await createStarted(pod, { metadata: { name: 'app', attempt: 0 }, image: { image: 'busybox:latest' }, command: ['sleep', '300'], log_path: 'app/0.log' });
  await runningStatus(c);
  const mine = (await calls()).slice(before).filter((l) => l.includes(c));
  assert.ok(mine.some((l) => /\bcreate\b/.test(l)), `the wrapper created the container: ${mine.join(' | ')}`);
  assert.ok(mine.some((l) => /\bstart\b/.test(l)), 'and started it');
  // Its state is under the runtime's own root; its spec names the runtime.
  assert.ok(existsSync(join(pods.d.execRoot, 'runtime', 'runtimes', 'logged', c)), 'state under the handler runtime\'s root');
  const cs = CriClient.ok(await pods.cri.rt('ContainerStatus', { container_id: c, verbose: true })) as { info: Record<string, string> };
  assert.equal((JSON.parse(cs.info['info'] ?? '{}') as { spec: { runtime: string } }).spec.runtime, 'logged');
  // Exec, stop and removal go through it too.
  const ex = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['echo', 'via-logged'], timeout: 10 })) as { stdout: Buffer; exit_code: number };
  assert.equal(ex.stdout.toString(), 'via-logged\n');
  assert.ok((await calls()).some((l) => /\bexec\b/.test(l) && l.includes(c)), 'exec went through the wrapper');
  CriClient.ok(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: pod }));
  assert.equal((await containerStatus(c))['state'], 'CONTAINER_EXITED');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.ok((await calls()).some((l) => /\bdelete\b/.test(l) && l.includes(c)), 'removed through the wrapper');
  assert.ok(!existsSync(join(pods.d.execRoot, 'runtime', 'runtimes', 'logged', c)), 'its state is gone');
});

test('runtime_handler "" is the daemon\'s default runtime and "runc" is runc: the wrapper runs neither', async () => {
  for (const handler of ['', 'runc']) {
    const pod = handler === '' ? await runPod('plain') : await runWith('named-runc', 'runc');
    assert.equal((await podStatus(pod))['runtime_handler'], handler);
    const c = await createStarted(pod, { metadata: { name: 'app', attempt: 0 }, image: { image: 'busybox:latest' }, command: ['sleep', '300'], log_path: 'app/0.log' });
    await runningStatus(c);
    assert.ok(!(await calls()).some((l) => l.includes(c)), `handler ${JSON.stringify(handler)}: not run by the wrapper`);
    assert.ok(!existsSync(join(pods.d.execRoot, 'runtime', 'runtimes', 'logged', c)));
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  }
});

test('an unknown runtime_handler is refused naming it, and leaves nothing behind', async () => {
  const r = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('nohandler'), runtime_handler: 'kata' }));
  assert.equal(r.code, status.INVALID_ARGUMENT);
  assert.match(r.details, /no runtime for "kata" is configured \(berthd's runtimes: .*logged.*runc|no runtime for "kata" is configured \(berthd's runtimes: .*runc.*logged/);
  assert.deepEqual(await netnsFiles(), []);
  const left = (CriClient.ok(await pods.cri.rt('ListPodSandbox', {})) as { items: Msg[] }).items;
  assert.deepEqual(left, []);
  if (CRUN) {
    // Installed but unable to run containers on this host's hybrid cgroups: refused with its reason.
    const c = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('crun'), runtime_handler: 'crun' }));
    assert.equal(c.code, status.INVALID_ARGUMENT);
    assert.match(c.details, /runtime "crun" cannot run containers on this host/);
    assert.deepEqual(await netnsFiles(), []);
  }
});

test('after berthd is killed and restarted, a pod keeps its runtime: its running container is followed and a new one runs with it', async () => {
  const pod = await runWith('lasting-handler', 'logged');
  const first = await createStarted(pod, { metadata: { name: 'one', attempt: 0 }, image: { image: 'busybox:latest' }, command: ['sleep', '300'], log_path: 'one/0.log' });
  await runningStatus(first);
  pods.cri.close();
  await pods.d.crash();
  await pods.d.spawn();
  pods.cri = new CriClient(pods.d.criSocket);
  await pods.cri.ready();
  assert.equal((await podStatus(pod))['runtime_handler'], 'logged');
  assert.equal((await containerStatus(first))['state'], 'CONTAINER_RUNNING');
  const second = await createStarted(pod, { metadata: { name: 'two', attempt: 0 }, image: { image: 'busybox:latest' }, command: ['sleep', '300'], log_path: 'two/0.log' });
  await runningStatus(second);
  assert.ok((await calls()).some((l) => /\bcreate\b/.test(l) && l.includes(second)), 'the new container was created by the pod\'s runtime');
  assert.ok(existsSync(join(pods.d.execRoot, 'runtime', 'runtimes', 'logged', second)));
  CriClient.ok(await pods.cri.rt('StopContainer', { container_id: first, timeout: 1 }));
  assert.ok((await calls()).some((l) => /\bkill\b/.test(l) && l.includes(first)), 'the restarted berthd stops it through the pod\'s runtime');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});
