import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, leftoverCgroups, leftoverMounts } from './helpers/daemon.js';
import { CriClient, status } from './helpers/cri.js';
import { containerConfig, containerStatus, createStarted, criLog, execFileP, exitedStatus, failed, netnsFiles, podConfig, pods, runPod, upgraded, usePodsFixture, type Msg } from './helpers/cri-pods.js';
import { openCommandStreams, openPortForwardStreams, readAll, spdyConnect } from '../src/server/cri/streaming/index.js';

/*
 * What runs in CRI pods, end to end: ExecSync, and Exec, Attach and PortForward through the
 * streaming server as kubectl reaches it through kubelet; the pod's cgroup parent, oom_score_adj,
 * a container OOMKilled, UpdateContainerResources, ReopenContainerLog, the stats RPCs and host
 * ports through the portmap plugin. At the end nothing of the pods is left.
 */
usePodsFixture();

test('bad sandbox configs: no metadata, host ports without portmap, a TARGET PID namespace: INVALID_ARGUMENT naming them', async () => {
  const none = failed(await pods.cri.rt('RunPodSandbox', { config: { hostname: 'x' } }));
  assert.equal(none.code, status.INVALID_ARGUMENT);
  assert.match(none.details, /metadata/);
  // Host ports go through the CNI chain's portmap plugin; this network has none.
  const ports = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('ports', { port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080 }] }) }));
  assert.equal(ports.code, status.INVALID_ARGUMENT);
  assert.match(ports.details, /portMappings capability \(portmap\) in network pods/);
  const pid = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('pid', { linux: { security_context: { namespace_options: { pid: 'TARGET' } } } }) }));
  assert.equal(pid.code, status.INVALID_ARGUMENT);
  assert.match(pid.details, /namespace_options\.pid TARGET is for containers/);
  assert.deepEqual(await netnsFiles(), []);
});

test('ExecSync: output and exit code, DEADLINE_EXCEEDED past its timeout; Exec, Attach and PortForward URLs on the streaming server work', async () => {
  const pod = await runPod('execs', { linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' }, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } } });
  const c = await createStarted(pod, containerConfig('web', 'mkdir -p /www && echo "served in the pod" > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  const r = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['sh', '-c', 'echo out-$WHO; echo err >&2; hostname; exit 7'], timeout: 10 })) as { stdout: Buffer; stderr: Buffer; exit_code: number };
  assert.equal(r.stdout.toString(), 'out-web\nexecs\n');
  assert.equal(r.stderr.toString(), 'err\n');
  assert.equal(r.exit_code, 7);
  const slow = failed(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['sleep', '30'], timeout: 1 }));
  assert.equal(slow.code, status.DEADLINE_EXCEEDED);
  assert.match(slow.details, /sleep 30/);
  assert.equal(failed(await pods.cri.rt('ExecSync', { container_id: 'f'.repeat(64), cmd: ['true'] })).code, status.NOT_FOUND);
  // The container is in the pod's network, IPC and UTS namespaces: the ones its sandbox's files hold.
  const nsOf = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['sh', '-c', 'for n in net ipc uts; do readlink /proc/self/ns/$n; done'], timeout: 10 })) as { stdout: Buffer };
  const held = await Promise.all(['net', 'ipc', 'uts'].map(async (n) => `${n}:[${(await stat(join(pods.d.execRoot, 'pods', pod, n))).ino}]`));
  assert.deepEqual(nsOf.stdout.toString().trim().split('\n'), held);
  // The pod's sysctls hold in its containers.
  const sysctl = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], timeout: 10 })) as { stdout: Buffer };
  assert.equal(sysctl.stdout.toString(), '80\n');
  // The pod's DNSConfig is the containers' resolv.conf.
  const resolv = CriClient.ok(await pods.cri.rt('ExecSync', { container_id: c, cmd: ['cat', '/etc/resolv.conf'], timeout: 10 })) as { stdout: Buffer };
  assert.equal(resolv.stdout.toString(), 'nameserver 10.96.0.10\nsearch execs.svc.cluster.local\noptions ndots:5\n');

  // Exec through the streaming server, as kubectl exec through kubelet: SPDY v4, exit status on the error stream.
  const { url } = CriClient.ok(await pods.cri.rt('Exec', { container_id: c, cmd: ['sh', '-c', 'echo streamed; exit 4'], stdout: true, stderr: true })) as { url: string };
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//);
  const session = upgraded(await spdyConnect(url, ['v4.channel.k8s.io']));
  const s = await openCommandStreams(session.session, { stdin: false, stdout: true, stderr: true, resize: false });
  const [out, st] = await Promise.all([readAll(s.stdout!), readAll(s.error)]);
  assert.equal(out.toString(), 'streamed\n');
  const verdict = JSON.parse(st.toString()) as { reason: string; details: { causes: { message: string }[] } };
  assert.equal(verdict.reason, 'NonZeroExitCode');
  assert.equal(verdict.details.causes[0]?.message, '4');

  // Attach to a container's main process: stdin in, its output back.
  const echo = await createStarted(pod, containerConfig('echo', 'while read l; do echo "got $l"; done', { stdin: true }));
  await eventually(async () => ((await containerStatus(echo))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  const at = CriClient.ok(await pods.cri.rt('Attach', { container_id: echo, stdin: true, stdout: true })) as { url: string };
  assert.match(at.url, /\/attach\//);
  const as = upgraded(await spdyConnect(at.url, ['v4.channel.k8s.io']));
  const ast = await openCommandStreams(as.session, { stdin: true, stdout: true, stderr: false, resize: false });
  let seen = '';
  const got = new Promise<void>((resolve) => {
    ast.stdout!.on('data', (b: Buffer) => {
      seen += b.toString();
      if (seen.includes('got hi')) resolve();
    });
  });
  ast.stdin!.write('hi\n');
  await got;
  assert.equal(seen, 'got hi\n');
  await as.session.close();

  // Port forward to the pod's loopback, where httpd listens.
  const pf = CriClient.ok(await pods.cri.rt('PortForward', { pod_sandbox_id: pod, port: [8080] })) as { url: string };
  const fwd = upgraded(await spdyConnect(pf.url, ['portforward.k8s.io']));
  const conn = await openPortForwardStreams(fwd.session, 8080, 1);
  const answer = readAll(conn.data);
  conn.data.end('GET / HTTP/1.0\r\n\r\n');
  assert.match((await answer).toString(), /200 OK[\s\S]*served in the pod/);
  await fwd.session.close();

  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

test("the pod's cgroup_parent holds its containers' cgroups with their limits; oom_score_adj is applied, raised to the host's floor", async () => {
  const top = `berthtest${Math.random().toString(16).slice(2, 10)}`;
  const parent = `/${top}/poduid1`;
  await mkdir(join(pods.logRoot, 'cg'), { recursive: true });
  const r = CriClient.ok(await pods.cri.rt('RunPodSandbox', { config: podConfig('cg', { linux: { cgroup_parent: parent } }) })) as { pod_sandbox_id: string };
  const pod = r.pod_sandbox_id;
  try {
    const mem = 64 * 1024 * 1024;
    const c = await createStarted(pod, containerConfig('limited', 'cat /proc/self/oom_score_adj; while true; do sleep 0.2; done', { linux: { resources: { memory_limit_in_bytes: mem, oom_score_adj: 500 } } }));
    await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
    const limit = (await readFile(`/sys/fs/cgroup/memory${parent}/${c}/memory.limit_in_bytes`, 'utf8')).trim();
    assert.equal(Number(limit), mem);
    await eventually(async () => ((await readFile(join(pods.logRoot, 'cg', 'limited', '0.log'), 'utf8')).includes('500') ? true : undefined));
    const own = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
    const low = await createStarted(pod, containerConfig('low', 'cat /proc/self/oom_score_adj', { linux: { resources: { oom_score_adj: -998 } } }));
    assert.equal((await exitedStatus(low))['exit_code'], 0);
    assert.deepEqual((await criLog(join(pods.logRoot, 'cg', 'low', '0.log'))).map((l) => Number(l.text)), [Math.max(-998, own)]);
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
    const left: string[] = [];
    for (const ctl of await readdir('/sys/fs/cgroup')) {
      if ((await readdir(join('/sys/fs/cgroup', ctl, top, 'poduid1')).catch(() => [] as string[])).some((n) => n === c || n === low)) left.push(ctl);
    }
    assert.deepEqual(left, [], "the containers' cgroups went with them");
  } finally {
    await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod });
    // The pod cgroup is kubelet's to remove; here the test made it up, so the test removes it.
    for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      await execFileP('rmdir', [join('/sys/fs/cgroup', ctl, top, 'poduid1')]).catch(() => undefined);
      await execFileP('rmdir', [join('/sys/fs/cgroup', ctl, top)]).catch(() => undefined);
    }
  }
  const bad = failed(await pods.cri.rt('RunPodSandbox', { config: podConfig('cg2', { linux: { cgroup_parent: 'kubepods/../x' } }) }));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /cgroup_parent/);
});

test('a container over its memory limit is OOMKilled', async () => {
  const pod = await runPod('oom');
  const c = await createStarted(pod, containerConfig('hog', 'exec dd if=/dev/zero of=/dev/null bs=200M count=1', { linux: { resources: { memory_limit_in_bytes: 32 * 1024 * 1024, memory_swap_limit_in_bytes: 32 * 1024 * 1024 } } }));
  const st = await exitedStatus(c);
  assert.equal(st['reason'], 'OOMKilled', JSON.stringify(st));
  assert.equal(st['exit_code'], 137);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test("UpdateContainerResources changes a running container's limits; ReopenContainerLog follows kubelet's rotation", async () => {
  const pod = await runPod('upd');
  const c = await createStarted(pod, containerConfig('ticker', 'while true; do echo tick; sleep 0.1; done', { linux: { resources: { memory_limit_in_bytes: 64 << 20 } } }));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  CriClient.ok(await pods.cri.rt('UpdateContainerResources', { container_id: c, linux: { memory_limit_in_bytes: 96 << 20, cpu_shares: 512 } }));
  assert.equal(Number((await readFile(`/sys/fs/cgroup/memory/berth/${c}/memory.limit_in_bytes`, 'utf8')).trim()), 96 << 20);
  assert.equal(Number((await readFile(`/sys/fs/cgroup/cpu/berth/${c}/cpu.shares`, 'utf8')).trim()), 512);
  const res = ((await containerStatus(c))['resources'] as { linux: { memory_limit_in_bytes: string } }).linux;
  assert.equal(res.memory_limit_in_bytes, String(96 << 20));
  const bad = failed(await pods.cri.rt('UpdateContainerResources', { container_id: c, linux: { hugepage_limits: [{ page_size: '2MB', limit: 1 }] } }));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /hugepage_limits/);

  // kubelet's rotation: rename, then ReopenContainerLog; the new file at the same path gets the next lines.
  const log = join(pods.logRoot, 'upd', 'ticker', '0.log');
  await eventually(async () => ((await readFile(log, 'utf8')).includes('tick') ? true : undefined));
  await execFileP('mv', [log, `${log}.20261208-000000`]);
  CriClient.ok(await pods.cri.rt('ReopenContainerLog', { container_id: c }));
  // The new file is there once the call returns (kubelet and critest look at once).
  assert.ok((await stat(log)).isFile());
  await eventually(async () => ((await readFile(log, 'utf8').catch(() => '')).includes('tick') ? true : undefined), 10_000, 'lines in the reopened log');
  assert.ok((await criLog(log)).every((l) => l.text === 'tick'));
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.equal(failed(await pods.cri.rt('ReopenContainerLog', { container_id: c })).code, status.NOT_FOUND);
});

test('ContainerStats and PodSandboxStats: CPU time, memory and the writable layer of running containers', async () => {
  const pod = await runPod('stats');
  const c = await createStarted(pod, containerConfig('busy', 'head -c 3000000 /dev/urandom > /big; while true; do :; done', { linux: { resources: { memory_limit_in_bytes: 64 << 20 } } }));
  type Stats = { attributes: { id: string; metadata: { name: string } }; cpu: { usage_core_nano_seconds: { value: string } }; memory: { working_set_bytes: { value: string }; usage_bytes: { value: string } }; writable_layer: { used_bytes: { value: string } } };
  const st = await eventually(async () => {
    const s = (CriClient.ok(await pods.cri.rt('ContainerStats', { container_id: c })) as { stats: Stats }).stats;
    return Number(s.writable_layer?.used_bytes.value ?? 0) >= 3_000_000 && Number(s.cpu?.usage_core_nano_seconds.value ?? 0) > 0 ? s : undefined;
  }, 20_000, 'stats of a busy container');
  assert.equal(st.attributes.id, c);
  assert.equal(st.attributes.metadata.name, 'busy');
  assert.ok(Number(st.memory.usage_bytes.value) > 0);
  const list = (CriClient.ok(await pods.cri.rt('ListContainerStats', { filter: { pod_sandbox_id: pod } })) as { stats: Stats[] }).stats;
  assert.deepEqual(list.map((s) => s.attributes.id), [c]);
  const ps = (CriClient.ok(await pods.cri.rt('PodSandboxStats', { pod_sandbox_id: pod })) as { stats: { attributes: { id: string }; linux: { cpu: { usage_core_nano_seconds: { value: string } }; containers: Stats[] } } }).stats;
  assert.equal(ps.attributes.id, pod);
  assert.deepEqual(ps.linux.containers.map((s) => s.attributes.id), [c]);
  assert.ok(Number(ps.linux.cpu.usage_core_nano_seconds.value) > 0);
  const all = (CriClient.ok(await pods.cri.rt('ListPodSandboxStats', { filter: { label_selector: { app: 'stats' } } })) as { stats: { attributes: { id: string } }[] }).stats;
  assert.deepEqual(all.map((s) => s.attributes.id), [pod]);
  assert.equal(failed(await pods.cri.rt('ContainerStats', { container_id: 'f'.repeat(64) })).code, status.NOT_FOUND);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test('host ports through the portmap plugin: the pod answers on the host port; its rules go with the pod', async () => {
  const conf = join(pods.d.dir, 'net.d', '00-ports.conflist');
  await writeFile(
    conf,
    JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [pods.bridgePlugin(), { type: 'portmap', capabilities: { portMappings: true } }] }),
  );
  const hostPort = 30000 + Math.floor(Math.random() * 20000);
  let pod = '';
  try {
    await mkdir(join(pods.logRoot, 'ports'), { recursive: true });
    pod = (CriClient.ok(await pods.cri.rt('RunPodSandbox', { config: podConfig('ports', { port_mappings: [{ protocol: 'TCP', container_port: 8080, host_port: hostPort }] }) })) as { pod_sandbox_id: string }).pod_sandbox_id;
    await createStarted(pod, containerConfig('web', 'mkdir -p /www && echo "via the host port" > /www/index.html && exec httpd -f -p 8080 -h /www'));
    const gateway = `${pods.prefix}.1`;
    const body = await eventually(async () => {
      const r = await execFileP('wget', ['-q', '-T', '2', '-O', '-', `http://${gateway}:${hostPort}/`]).catch(() => undefined);
      return r?.stdout;
    }, 15_000, `an answer on ${gateway}:${hostPort}`);
    assert.equal(body, 'via the host port\n');
    CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
    const rules = (await execFileP('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.includes(pod) || l.includes(`--dport ${hostPort}`));
    assert.deepEqual(rules, [], 'the pod\'s port rules removed');
  } finally {
    if (pod) await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod });
    await rm(conf, { force: true });
  }
});

test("a container's security context (user, read-only rootfs, a dropped capability); a host-network pod", async () => {
  const pod = await runPod('sec');
  const sc = { run_as_user: { value: 1000 }, readonly_rootfs: true };
  const c = await createStarted(pod, containerConfig('locked', 'id -u; if touch /x 2>/dev/null; then echo writable; else echo readonly; fi', { linux: { security_context: sc } }));
  assert.equal((await exitedStatus(c))['exit_code'], 0);
  assert.deepEqual((await criLog(join(pods.logRoot, 'sec', 'locked', '0.log'))).map((l) => l.text), ['1000', 'readonly']);
  // CAP_NET_RAW (bit 13) is a default capability; dropped, the process lacks it.
  const capEff = async (name: string, security: Msg): Promise<bigint> => {
    const id = await createStarted(pod, containerConfig(name, 'grep CapEff /proc/self/status', { linux: { security_context: security } }));
    assert.equal((await exitedStatus(id))['exit_code'], 0);
    const line = (await criLog(join(pods.logRoot, 'sec', name, '0.log')))[0]?.text ?? '';
    return BigInt(`0x${line.split(/\s+/)[1] ?? '0'}`);
  };
  assert.notEqual((await capEff('caps', {})) & (1n << 13n), 0n);
  assert.equal((await capEff('nocaps', { capabilities: { drop_capabilities: ['NET_RAW'] } })) & (1n << 13n), 0n);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));

  const host = await runPod('hostnet', { linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } } });
  const st = (CriClient.ok(await pods.cri.rt('PodSandboxStatus', { pod_sandbox_id: host })) as { status: { network: { ip: string }; linux: { namespaces: { options: { network: string } } } } }).status;
  assert.equal(st.network.ip, '');
  assert.equal(st.linux.namespaces.options.network, 'NODE');
  const h = await createStarted(host, containerConfig('seer', 'ip -o link show'));
  assert.equal((await exitedStatus(h))['exit_code'], 0);
  const links = (await criLog(join(pods.logRoot, 'hostnet', 'seer', '0.log'))).map((l) => l.text).join('\n');
  assert.match(links, new RegExp(pods.bridge), "the host's interfaces, the pods' bridge among them");
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: host }));
});

test('a pod that shares its PID namespace: its containers see each other, catatonit is pid 1; it goes with the pod', async () => {
  const shared = { namespace_options: { network: 'POD', pid: 'POD', ipc: 'POD' } };
  const pod = await runPod('sharedpid', { linux: { security_context: shared } });
  const st = (CriClient.ok(await pods.cri.rt('PodSandboxStatus', { pod_sandbox_id: pod })) as { status: { linux: { namespaces: { options: { pid: string } } } } }).status;
  assert.equal(st.linux.namespaces.options.pid, 'POD');
  const sleeper = await createStarted(pod, containerConfig('sleeper', 'exec sleep 1000', { linux: { security_context: shared } }));
  await eventually(async () => ((await containerStatus(sleeper))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  const looker = await createStarted(pod, containerConfig('looker', 'cat /proc/1/cmdline | tr "\\0" " "; echo; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done', { linux: { security_context: shared } }));
  assert.equal((await exitedStatus(looker))['exit_code'], 0);
  const seen = (await criLog(join(pods.logRoot, 'sharedpid', 'looker', '0.log'))).map((l) => l.text.trim());
  assert.match(seen[0] ?? '', /catatonit -P/);
  assert.ok(seen.includes('sleep 1000'), `the other container's process is visible: ${seen.join(' | ')}`);
  CriClient.ok(await pods.cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  const holders = (await execFileP('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => l.includes(join(pods.d.execRoot, 'pods')));
  assert.deepEqual(holders, [], 'the namespace holder went with the pod');
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
  const ps = (await execFileP('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => (l.includes('conmon') || l.includes('unshare')) && l.includes(pods.d.dir));
  assert.deepEqual(ps, []);
});
