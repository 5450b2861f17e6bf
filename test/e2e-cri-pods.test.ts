import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, leftoverCgroups, leftoverMounts } from './helpers/daemon.js';
import { CriClient, status } from './helpers/cri.js';
import { containerConfig, containerStatus, createStarted, criLog, execFileP, exitedStatus, failed, netnsFiles, podConfig, pods, podStatus, runPod, usePodsFixture, type Msg } from './helpers/cri-pods.js';

/*
 * Pods through the CRI socket, end to end with the project's gRPC client: sandboxes networked by a
 * CNI bridge of the test's own (Debian's plugins), containers of busybox in them run by runc and
 * conmon, their CRI logs, a berthd killed and restarted with a pod running, and a RunPodSandbox cut
 * short. At the end nothing of the pods is left: no namespace file, veth, address, cgroup or mount.
 * Exec, streaming, limits and stats: e2e-cri-pods-runtime.test.ts.
 */
usePodsFixture();

test('a pod sandbox: its own network (an IP of the CNI subnet), hostname, states, filters; stop releases the IP, remove leaves nothing', async () => {
  const id = await runPod('web');
  const st = await podStatus(id);
  assert.equal(st['state'], 'SANDBOX_READY');
  assert.deepEqual(st['metadata'], { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 });
  const ip = (st['network'] as { ip: string }).ip;
  assert.ok(ip.startsWith(`${pods.prefix}.`), `pod IP ${ip} in ${pods.subnet}`);
  assert.deepEqual(st['labels'], { app: 'web', tier: 'test' });
  assert.ok(BigInt(st['created_at'] as string) > 0n);
  // The address is on the pod's eth0, in the pod's own network namespace.
  const nsdir = join(pods.d.execRoot, 'pods', id);
  const addr = await execFileP('nsenter', [`--net=${join(nsdir, 'net')}`, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(addr.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
  const uts = await execFileP('nsenter', [`--uts=${join(nsdir, 'uts')}`, 'hostname']);
  assert.equal(uts.stdout.trim(), 'web');

  // The same name again: AlreadyExists naming it.
  const dup = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('web') }));
  assert.equal(dup.code, status.ALREADY_EXISTS);
  assert.match(dup.details, /web_default_uid-web_0/);

  const other = await runPod('db');
  const list = async (filter: Msg): Promise<string[]> => ((CriClient.ok(await pods.cri.rt('ListPodSandbox', { filter })) as { items: { id: string }[] }).items.map((i) => i.id)).sort();
  assert.deepEqual(await list({}), [id, other].sort());
  assert.deepEqual(await list({ id }), [id]);
  assert.deepEqual(await list({ label_selector: { app: 'db' } }), [other]);
  assert.deepEqual(await list({ label_selector: { tier: 'test' } }), [id, other].sort());

  CriClient.ok(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: id }));
  CriClient.ok(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: id }));
  const stopped = await podStatus(id);
  assert.equal(stopped['state'], 'SANDBOX_NOTREADY');
  assert.equal((stopped['network'] as { ip: string }).ip, '');
  assert.deepEqual(await list({ state: { state: 'SANDBOX_NOTREADY' } }), [id]);
  assert.deepEqual(await list({ state: { state: 'SANDBOX_READY' } }), [other]);
  // The address went back to the pool (host-local keeps one file per allocated IP).
  const held = await readdir(join(pods.d.dir, 'ipam', 'pods')).catch(() => [] as string[]);
  assert.ok(!held.includes(ip), `${ip} released: ${held.join(' ')}`);

  for (const p of [id, other]) {
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: p }));
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: p }));
  }
  assert.equal(failed(await pods.cri.rt('PodSandboxStatus', { pod_sandbox_id: id })).code, status.NOT_FOUND);
  assert.equal(failed(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: id })).code, status.NOT_FOUND);
  assert.deepEqual(await list({}), []);
  assert.deepEqual(await netnsFiles(), []);
});

test('a pod of two containers: they meet on localhost; exit codes, reasons, CRI logs at the asked path; not in docker ps', async () => {
  const started = String(Math.floor(Date.now() / 1000));
  const pod = await runPod('duo');
  const server = await createStarted(pod, containerConfig('server', 'mkdir -p /www && echo "hello from $WHO" > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'));
  const client = await createStarted(
    pod,
    containerConfig('client', 'for i in $(seq 1 100); do if wget -q -O - http://127.0.0.1:8080/; then exit 0; fi; sleep 0.1; done; exit 1'),
  );
  const done = await exitedStatus(client);
  assert.equal(done['exit_code'], 0);
  assert.equal(done['reason'], 'Completed');
  assert.equal(done['log_path'], join(pods.logRoot, 'duo', 'client/0.log'));
  assert.ok(BigInt(done['finished_at'] as string) >= BigInt(done['started_at'] as string));
  assert.ok(BigInt(done['started_at'] as string) >= BigInt(done['created_at'] as string));
  const lines = await criLog(join(pods.logRoot, 'duo', 'client', '0.log'));
  assert.deepEqual(lines.filter((l) => l.stream === 'stdout').map((l) => `${l.tag} ${l.text}`), ['F hello from server']);

  const running = await containerStatus(server);
  assert.equal(running['state'], 'CONTAINER_RUNNING');
  assert.deepEqual(running['metadata'], { name: 'server', attempt: 0 });
  assert.deepEqual(running['labels'], { c: 'server' });
  assert.equal((running['image'] as { image: string }).image, 'busybox:latest');

  const failing = await createStarted(pod, containerConfig('failing', 'echo oops >&2; exit 3'));
  const failed3 = await exitedStatus(failing);
  assert.equal(failed3['exit_code'], 3);
  assert.equal(failed3['reason'], 'Error');
  assert.deepEqual((await criLog(join(pods.logRoot, 'duo', 'failing', '0.log'))).map((l) => `${l.stream} ${l.tag} ${l.text}`), ['stderr F oops']);

  // Filters: by pod, state, label, id.
  const list = async (filter: Msg): Promise<string[]> => ((CriClient.ok(await pods.cri.rt('ListContainers', { filter })) as { containers: { id: string }[] }).containers.map((c) => c.id)).sort();
  assert.deepEqual(await list({ pod_sandbox_id: pod }), [server, client, failing].sort());
  assert.deepEqual(await list({ state: { state: 'CONTAINER_RUNNING' } }), [server]);
  assert.deepEqual(await list({ label_selector: { c: 'failing' } }), [failing]);
  assert.deepEqual(await list({ id: client }), [client]);

  // The Docker side neither lists pods' containers nor can remove one.
  const ps = await pods.d.docker(['ps', '-aq', '--no-trunc']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.equal(ps.stdout.trim(), '');
  const dockerRm = await pods.d.docker(['rm', server]);
  assert.notEqual(dockerRm.code, 0);
  assert.match(dockerRm.stderr, /No such container/);
  assert.match((await pods.d.docker(['stop', server])).stderr, /No such container/);
  // Unless asked for by namespace: then they are listed (and only listed).
  const k8s = await pods.d.docker(['ps', '-a', '-q', '--no-trunc', '--filter', 'namespace=k8s.io']);
  assert.equal(k8s.code, 0, k8s.stderr);
  assert.deepEqual(k8s.stdout.trim().split('\n').sort(), [server, client, failing].sort());
  const events = await pods.d.docker(['events', '--since', started, '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'type=container']);
  assert.equal(events.code, 0, events.stderr);
  assert.ok(![server, client].some((id) => events.stdout.includes(id)), `no engine events of pods' containers: ${events.stdout}`);
  // docker rm -f passes over a container it cannot find (exit 0): the pod's container must stay.
  await pods.d.docker(['rm', '-f', server]);
  assert.notEqual((await pods.d.docker(['inspect', server])).code, 0);
  assert.equal((await containerStatus(server))['state'], 'CONTAINER_RUNNING');

  // A duplicate name, a missing image, a missing sandbox: named in the status.
  const dup = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('server', 'true') }));
  assert.equal(dup.code, status.ALREADY_EXISTS);
  assert.match(dup.details, /server_duo_default_uid-duo_0/);
  const noImage = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: { ...containerConfig('x', 'true'), image: { image: 'nothere:1' } } }));
  assert.equal(noImage.code, status.NOT_FOUND);
  assert.match(noImage.details, /nothere:1/);
  const noPod = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: 'f'.repeat(64), config: containerConfig('x', 'true') }));
  assert.equal(noPod.code, status.NOT_FOUND);
  assert.match(noPod.details, /pod sandbox f+ not found/);
  const noMeta = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: { image: { image: 'busybox:latest' } } }));
  assert.equal(noMeta.code, status.INVALID_ARGUMENT);

  // StopContainer: the server ignores nothing here, SIGTERM ends httpd; stopping again succeeds.
  CriClient.ok(await pods.cri.rt('StopContainer', { container_id: server, timeout: 5 }));
  CriClient.ok(await pods.cri.rt('StopContainer', { container_id: server, timeout: 5 }));
  assert.equal((await containerStatus(server))['state'], 'CONTAINER_EXITED');
  CriClient.ok(await pods.cri.rt('RemoveContainer', { container_id: failing }));
  CriClient.ok(await pods.cri.rt('RemoveContainer', { container_id: failing }));
  assert.equal(failed(await pods.cri.rt('ContainerStatus', { container_id: failing })).code, status.NOT_FOUND);

  // A stopped pod takes no new container.
  CriClient.ok(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: pod }));
  const stoppedPod = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('late', 'true') }));
  assert.equal(stoppedPod.code, status.FAILED_PRECONDITION);
  assert.match(stoppedPod.details, /not ready/);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await list({}), []);
  assert.deepEqual(await netnsFiles(), []);
});

test('a container that ignores SIGTERM is killed after the stop timeout', async () => {
  const pod = await runPod('stubborn');
  const c = await createStarted(pod, containerConfig('stubborn', "trap '' TERM; touch /tmp/trapped; while true; do sleep 0.2; done"));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  // The stop must come after the shell ignores TERM, not before it got that far.
  await eventually(async () => ((CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['test', '-e', '/tmp/trapped'], timeout: 5 })) as { exit_code: number }).exit_code === 0 ? true : undefined));
  CriClient.ok(await pods.cri.rt('StopContainer', { container_id: c, timeout: 1 }));
  const s = await containerStatus(c);
  assert.equal(s['state'], 'CONTAINER_EXITED');
  assert.equal(s['exit_code'], 137);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

test('berthd killed and restarted with a pod running: the pod, its running and its exited containers are reported as they were', async () => {
  const pod = await runPod('lasting');
  const live = await createStarted(pod, containerConfig('live', 'while true; do sleep 0.2; done'));
  const gone = await createStarted(pod, containerConfig('gone', 'exit 2'));
  const before = await exitedStatus(gone);
  await eventually(async () => ((await containerStatus(live))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  const ip = ((await podStatus(pod))['network'] as { ip: string }).ip;

  // Killed, not stopped: nothing of berthd's survives but what it wrote.
  pods.cri.close();
  await pods.d.crash();
  await pods.d.spawn();
  pods.cri = new CriClient(pods.d.criSocket);
  await pods.cri.ready();

  const st = await podStatus(pod);
  assert.equal(st['state'], 'SANDBOX_READY');
  assert.equal((st['network'] as { ip: string }).ip, ip);
  assert.equal((await containerStatus(live))['state'], 'CONTAINER_RUNNING');
  const after = await containerStatus(gone);
  for (const k of ['state', 'exit_code', 'reason', 'started_at', 'finished_at', 'log_path']) assert.deepEqual(after[k], before[k], k);
  assert.equal(after['reason'], 'Error');
  const r = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: live, cmd: ['hostname'], timeout: 10 })) as { stdout: Buffer };
  assert.equal(r.stdout.toString(), 'lasting\n');
  // The monitor follows it again: a stop is seen.
  CriClient.ok(await pods.cri.rt('StopContainer', { container_id: live, timeout: 2 }));
  assert.equal((await containerStatus(live))['state'], 'CONTAINER_EXITED');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

test('a mount of a host path that does not exist is refused naming it; a host path that does is seen in the container', async () => {
  const pod = await runPod('mounts');
  const missing = failed(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('m', 'true', { mounts: [{ container_path: '/data', host_path: join(pods.d.dir, 'nope') }] }) }));
  assert.equal(missing.code, status.INVALID_ARGUMENT);
  assert.match(missing.details, /nope/);
  const host = join(pods.d.dir, 'shared');
  await mkdir(host, { recursive: true });
  await writeFile(join(host, 'f'), 'from the host\n');
  const c = await createStarted(pod, containerConfig('m', 'cat /data/f', { mounts: [{ container_path: '/data', host_path: host, readonly: true }] }));
  const st = await exitedStatus(c);
  assert.equal(st['exit_code'], 0);
  assert.deepEqual(st['mounts'], [{ container_path: '/data', host_path: host, readonly: true, selinux_relabel: false, propagation: 'PROPAGATION_PRIVATE' }]);
  assert.deepEqual((await criLog(join(pods.logRoot, 'mounts', 'm', '0.log'))).map((l) => l.text), ['from the host']);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test('a RunPodSandbox whose caller gives up half-way leaves nothing: no namespace, address, veth or record', async () => {
  // A plugin of the test's own after the pods.bridge, slow on ADD: the caller's deadline passes meanwhile.
  const bin = join(pods.d.dir, 'cni-bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'slow'),
    `#!${process.execPath}\nlet t='';process.stdin.on('data',(c)=>t+=c).on('end',()=>{const c=JSON.parse(t);if(process.env.CNI_COMMAND!=='ADD')return;setTimeout(()=>process.stdout.write(JSON.stringify(c.prevResult)),3000);});\n`,
    { mode: 0o755 },
  );
  const slow = join(pods.d.dir, 'net.d', '00-slow.conflist');
  await writeFile(
    slow,
    JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [pods.bridgePlugin(), { type: 'slow' }] }),
  );
  try {
    await mkdir(join(pods.logRoot, 'hasty'), { recursive: true });
    const r = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('hasty') }, 1000));
    assert.equal(r.code, status.DEADLINE_EXCEEDED);
    await eventually(
      async () => {
        const held = (await readdir(join(pods.d.dir, 'ipam', 'pods')).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
        const veths = (await execFileP('ip', ['-o', 'link', 'show', 'master', pods.bridge])).stdout.trim();
        return held.length === 0 && veths === '' && (await netnsFiles()).length === 0 ? true : undefined;
      },
      15_000,
      'the half-made sandbox undone',
    );
    assert.deepEqual((CriClient.ok(await pods.cri.rt('ListPodSandbox', {})) as { items: unknown[] }).items, []);
  } finally {
    await rm(slow, { force: true });
  }
  // The name is free again.
  const id = await runPod('hasty');
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: id }));
});

test('StopPodSandbox releases the address through the network the pod was attached with, even once its conf is gone', async () => {
  const id = await runPod('orphan');
  const ip = ((await podStatus(id))['network'] as { ip: string }).ip;
  const conf = join(pods.d.dir, 'net.d', '10-pods.conflist');
  await rename(conf, `${conf}.off`);
  try {
    CriClient.ok(await pods.cri.rt('StopPodSandbox', { pod_sandbox_id: id }));
  } finally {
    await rename(`${conf}.off`, conf);
  }
  const held = await readdir(join(pods.d.dir, 'ipam', 'pods')).catch(() => [] as string[]);
  assert.ok(!held.includes(ip), `${ip} released`);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: id }));
});

test('nothing of the pods is left: no pod namespace file, veth, address, cgroup, mount or conmon', async () => {
  assert.deepEqual((CriClient.ok(await pods.cri.rt('ListPodSandbox', {})) as { items: unknown[] }).items, []);
  assert.deepEqual(await netnsFiles(), []);
  const veths = (await execFileP('ip', ['-o', 'link', 'show', 'master', pods.bridge])).stdout.trim();
  assert.equal(veths, '', 'no veth on the pods bridge');
  const held = (await readdir(join(pods.d.dir, 'ipam', 'pods')).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  assert.deepEqual(held, []);
  assert.deepEqual(await leftoverMounts(join(pods.d.execRoot, 'pods')), []);
  assert.deepEqual(await leftoverMounts(join(pods.d.dataRoot, 'containers')), []);
  assert.ok(pods.d.seenIds.size >= 8);
  assert.deepEqual(leftoverCgroups(pods.d.seenIds), []);
  const ps = (await execFileP('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => l.includes('conmon') && l.includes(pods.d.dir));
  assert.deepEqual(ps, []);
});
