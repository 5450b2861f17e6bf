import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDaemon, eventually, leftoverCgroups, leftoverMounts } from './helpers/daemon.js';
import { CriClient, status, type CriResult } from './helpers/cri.js';
import { openCommandStreams, openPortForwardStreams, readAll, spdyConnect } from '../src/server/cri/streaming/index.js';
import type { Refused, Upgraded } from '../src/server/cri/streaming/client.js';

/*
 * Pods through the CRI socket, end to end with the project's gRPC client: sandboxes networked by a
 * CNI bridge of the test's own (Debian's plugins), containers of busybox in them run by runc and
 * conmon, their CRI logs, exec, and a berthd restart with a pod running. At the end nothing of the
 * pods is left: no namespace file, veth, bridge allocation, cgroup or mount.
 */
const execFileP = promisify(execFile);
let d: TestDaemon;
let cri: CriClient;
let logRoot: string;
const bridge = `bc${Math.random().toString(16).slice(2, 10)}`;
const third = 100 + Math.floor(Math.random() * 100);
const subnet = `10.77.${third}.0/24`;

before(async () => {
  d = await TestDaemon.start({
    cri: true,
    config: (dir) => ({ cri: { 'cni-conf-dir': join(dir, 'net.d'), 'cni-bin-dirs': [join(dir, 'cni-bin'), '/usr/lib/cni'] } }),
  });
  await mkdir(join(d.dir, 'net.d'), { recursive: true });
  await writeFile(
    join(d.dir, 'net.d', '10-pods.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'pods',
      plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', subnet, dataDir: join(d.dir, 'ipam') } }],
    }),
  );
  logRoot = join(d.dir, 'pod-logs');
  await d.makeBusyboxImage('busybox:latest');
  cri = new CriClient(d.criSocket);
  await cri.ready();
});

after(async () => {
  // A test that failed half-way leaves its pods: they go first, so cleanup's checks see the rest.
  const left = cri ? await cri.rt('ListPodSandbox', {}) : undefined;
  for (const p of left?.ok ? (left.reply['items'] as { id: string }[]) : []) await cri.rt('RemovePodSandbox', { pod_sandbox_id: p.id });
  cri?.close();
  await d?.cleanup();
  await execFileP('ip', ['link', 'del', bridge]).catch(() => undefined);
});

function failed(r: CriResult): { code: status; details: string } {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as { code: status; details: string };
}

type Msg = Record<string, unknown>;

function podConfig(name: string, extra: Msg = {}): Msg {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    hostname: name,
    log_directory: join(logRoot, name),
    labels: { app: name, tier: 'test' },
    annotations: { 'a.b/c': 'd' },
    dns_config: { servers: ['10.96.0.10'], searches: [`${name}.svc.cluster.local`], options: ['ndots:5'] },
    linux: { security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    ...extra,
  };
}

async function runPod(name: string): Promise<string> {
  await mkdir(join(logRoot, name), { recursive: true });
  const r = CriClient.ok(await cri.rt('RunPodSandbox', { config: podConfig(name) })) as { pod_sandbox_id: string };
  assert.match(r.pod_sandbox_id, /^[0-9a-f]{64}$/);
  return r.pod_sandbox_id;
}

async function podStatus(id: string): Promise<Msg> {
  return (CriClient.ok(await cri.rt('PodSandboxStatus', { pod_sandbox_id: id })) as { status: Msg }).status;
}

async function netnsFiles(): Promise<string[]> {
  const dir = join(d.execRoot, 'pods');
  const ids = await readdir(dir).catch(() => [] as string[]);
  return ids;
}

test('a pod sandbox: its own network (an IP of the CNI subnet), hostname, states, filters; stop releases the IP, remove leaves nothing', async () => {
  const id = await runPod('web');
  const st = await podStatus(id);
  assert.equal(st['state'], 'SANDBOX_READY');
  assert.deepEqual(st['metadata'], { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 });
  const ip = (st['network'] as { ip: string }).ip;
  assert.ok(ip.startsWith(`10.77.${third}.`), `pod IP ${ip} in ${subnet}`);
  assert.deepEqual(st['labels'], { app: 'web', tier: 'test' });
  assert.ok(BigInt(st['created_at'] as string) > 0n);
  // The address is on the pod's eth0, in the pod's own network namespace.
  const nsdir = join(d.execRoot, 'pods', id);
  const addr = await execFileP('nsenter', [`--net=${join(nsdir, 'net')}`, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(addr.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
  const uts = await execFileP('nsenter', [`--uts=${join(nsdir, 'uts')}`, 'hostname']);
  assert.equal(uts.stdout.trim(), 'web');

  // The same name again: AlreadyExists naming it.
  const dup = failed(await cri.rt('RunPodSandbox', { config: podConfig('web') }));
  assert.equal(dup.code, status.ALREADY_EXISTS);
  assert.match(dup.details, /web_default_uid-web_0/);

  const other = await runPod('db');
  const list = async (filter: Msg): Promise<string[]> => ((CriClient.ok(await cri.rt('ListPodSandbox', { filter })) as { items: { id: string }[] }).items.map((i) => i.id)).sort();
  assert.deepEqual(await list({}), [id, other].sort());
  assert.deepEqual(await list({ id }), [id]);
  assert.deepEqual(await list({ label_selector: { app: 'db' } }), [other]);
  assert.deepEqual(await list({ label_selector: { tier: 'test' } }), [id, other].sort());

  CriClient.ok(await cri.rt('StopPodSandbox', { pod_sandbox_id: id }));
  CriClient.ok(await cri.rt('StopPodSandbox', { pod_sandbox_id: id }));
  const stopped = await podStatus(id);
  assert.equal(stopped['state'], 'SANDBOX_NOTREADY');
  assert.equal((stopped['network'] as { ip: string }).ip, '');
  assert.deepEqual(await list({ state: { state: 'SANDBOX_NOTREADY' } }), [id]);
  assert.deepEqual(await list({ state: { state: 'SANDBOX_READY' } }), [other]);
  // The address went back to the pool (host-local keeps one file per allocated IP).
  const held = await readdir(join(d.dir, 'ipam', 'pods')).catch(() => [] as string[]);
  assert.ok(!held.includes(ip), `${ip} released: ${held.join(' ')}`);

  for (const p of [id, other]) {
    CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: p }));
    CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: p }));
  }
  assert.equal(failed(await cri.rt('PodSandboxStatus', { pod_sandbox_id: id })).code, status.NOT_FOUND);
  assert.equal(failed(await cri.rt('StopPodSandbox', { pod_sandbox_id: id })).code, status.NOT_FOUND);
  assert.deepEqual(await list({}), []);
  assert.deepEqual(await netnsFiles(), []);
});

test('bad sandbox configs: no metadata, host ports without portmap, a shared pid namespace: INVALID_ARGUMENT naming them', async () => {
  const none = failed(await cri.rt('RunPodSandbox', { config: { hostname: 'x' } }));
  assert.equal(none.code, status.INVALID_ARGUMENT);
  assert.match(none.details, /metadata/);
  // Host ports go through the CNI chain's portmap plugin; this network has none.
  const ports = failed(await cri.rt('RunPodSandbox', { config: podConfig('ports', { port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080 }] }) }));
  assert.equal(ports.code, status.INVALID_ARGUMENT);
  assert.match(ports.details, /portMappings capability \(portmap\) in network pods/);
  const pid = failed(await cri.rt('RunPodSandbox', { config: podConfig('pid', { linux: { security_context: { namespace_options: { pid: 'POD' } } } }) }));
  assert.equal(pid.code, status.INVALID_ARGUMENT);
  assert.match(pid.details, /namespace_options\.pid POD/);
  assert.deepEqual(await netnsFiles(), []);
});

function containerConfig(name: string, cmd: string, extra: Msg = {}): Msg {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox:latest' },
    command: ['sh', '-c', cmd],
    envs: [{ key: 'WHO', value: name }],
    labels: { c: name },
    log_path: `${name}/0.log`,
    ...extra,
  };
}

async function createStarted(pod: string, config: Msg): Promise<string> {
  const created = CriClient.ok(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config, sandbox_config: podConfig('unused') })) as { container_id: string };
  // cleanup checks that none of their cgroups stayed.
  d.seenIds.add(created.container_id);
  CriClient.ok(await cri.rt('StartContainer', { container_id: created.container_id }));
  return created.container_id;
}

async function containerStatus(id: string): Promise<Msg> {
  return (CriClient.ok(await cri.rt('ContainerStatus', { container_id: id })) as { status: Msg }).status;
}

async function exitedStatus(id: string): Promise<Msg> {
  return eventually(async () => {
    const s = await containerStatus(id);
    return s['state'] === 'CONTAINER_EXITED' ? s : undefined;
  }, 20_000, `container ${id} exited`);
}

/** The CRI log lines (`<RFC3339Nano> stdout|stderr P|F <text>`) of a file, parsed; any other line fails. */
async function criLog(path: string): Promise<{ stream: string; tag: string; text: string }[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) (.*)$/.exec(l);
      assert.ok(m, `a CRI log line: ${JSON.stringify(l)}`);
      return { stream: m[2] as string, tag: m[3] as string, text: m[4] as string };
    });
}

test('a pod of two containers: they meet on localhost; exit codes, reasons, CRI logs at the asked path; not in docker ps', async () => {
  const pod = await runPod('duo');
  const server = await createStarted(pod, containerConfig('server', 'mkdir -p /www && echo "hello from $WHO" > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'));
  const client = await createStarted(
    pod,
    containerConfig('client', 'for i in $(seq 1 100); do if wget -q -O - http://127.0.0.1:8080/; then exit 0; fi; sleep 0.1; done; exit 1'),
  );
  const done = await exitedStatus(client);
  assert.equal(done['exit_code'], 0);
  assert.equal(done['reason'], 'Completed');
  assert.equal(done['log_path'], join(logRoot, 'duo', 'client/0.log'));
  assert.ok(BigInt(done['finished_at'] as string) >= BigInt(done['started_at'] as string));
  assert.ok(BigInt(done['started_at'] as string) >= BigInt(done['created_at'] as string));
  const lines = await criLog(join(logRoot, 'duo', 'client', '0.log'));
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
  assert.deepEqual((await criLog(join(logRoot, 'duo', 'failing', '0.log'))).map((l) => `${l.stream} ${l.tag} ${l.text}`), ['stderr F oops']);

  // Filters: by pod, state, label, id.
  const list = async (filter: Msg): Promise<string[]> => ((CriClient.ok(await cri.rt('ListContainers', { filter })) as { containers: { id: string }[] }).containers.map((c) => c.id)).sort();
  assert.deepEqual(await list({ pod_sandbox_id: pod }), [server, client, failing].sort());
  assert.deepEqual(await list({ state: { state: 'CONTAINER_RUNNING' } }), [server]);
  assert.deepEqual(await list({ label_selector: { c: 'failing' } }), [failing]);
  assert.deepEqual(await list({ id: client }), [client]);

  // The Docker side neither lists pods' containers nor can remove one.
  const ps = await d.docker(['ps', '-aq', '--no-trunc']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.equal(ps.stdout.trim(), '');
  const dockerRm = await d.docker(['rm', server]);
  assert.notEqual(dockerRm.code, 0);
  assert.match(dockerRm.stderr, /No such container/);
  // docker rm -f passes over a container it cannot find (exit 0): the pod's container must stay.
  await d.docker(['rm', '-f', server]);
  assert.notEqual((await d.docker(['inspect', server])).code, 0);
  assert.equal((await containerStatus(server))['state'], 'CONTAINER_RUNNING');

  // A duplicate name, a missing image, a missing sandbox: named in the status.
  const dup = failed(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('server', 'true') }));
  assert.equal(dup.code, status.ALREADY_EXISTS);
  assert.match(dup.details, /server_duo_default_uid-duo_0/);
  const noImage = failed(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config: { ...containerConfig('x', 'true'), image: { image: 'nothere:1' } } }));
  assert.equal(noImage.code, status.NOT_FOUND);
  assert.match(noImage.details, /nothere:1/);
  const noPod = failed(await cri.rt('CreateContainer', { pod_sandbox_id: 'f'.repeat(64), config: containerConfig('x', 'true') }));
  assert.equal(noPod.code, status.NOT_FOUND);
  assert.match(noPod.details, /pod sandbox f+ not found/);
  const noMeta = failed(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config: { image: { image: 'busybox:latest' } } }));
  assert.equal(noMeta.code, status.INVALID_ARGUMENT);

  // StopContainer: the server ignores nothing here, SIGTERM ends httpd; stopping again succeeds.
  CriClient.ok(await cri.rt('StopContainer', { container_id: server, timeout: 5 }));
  CriClient.ok(await cri.rt('StopContainer', { container_id: server, timeout: 5 }));
  assert.equal((await containerStatus(server))['state'], 'CONTAINER_EXITED');
  CriClient.ok(await cri.rt('RemoveContainer', { container_id: failing }));
  CriClient.ok(await cri.rt('RemoveContainer', { container_id: failing }));
  assert.equal(failed(await cri.rt('ContainerStatus', { container_id: failing })).code, status.NOT_FOUND);

  // A stopped pod takes no new container.
  CriClient.ok(await cri.rt('StopPodSandbox', { pod_sandbox_id: pod }));
  const stoppedPod = failed(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('late', 'true') }));
  assert.equal(stoppedPod.code, status.FAILED_PRECONDITION);
  assert.match(stoppedPod.details, /not ready/);
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await list({}), []);
  assert.deepEqual(await netnsFiles(), []);
});

test('a container that ignores SIGTERM is killed after the stop timeout', async () => {
  const pod = await runPod('stubborn');
  const c = await createStarted(pod, containerConfig('stubborn', "trap '' TERM; while true; do sleep 0.2; done"));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  CriClient.ok(await cri.rt('StopContainer', { container_id: c, timeout: 1 }));
  const s = await containerStatus(c);
  assert.equal(s['state'], 'CONTAINER_EXITED');
  assert.equal(s['exit_code'], 137);
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

function upgraded(r: Upgraded | Refused): Upgraded {
  if (r.kind !== 'spdy') assert.fail(`refused with ${r.status}: ${r.body}`);
  return r;
}

test('ExecSync: output and exit code, DEADLINE_EXCEEDED past its timeout; Exec, Attach and PortForward URLs on the streaming server work', async () => {
  const pod = await runPod('execs');
  const c = await createStarted(pod, containerConfig('web', 'mkdir -p /www && echo "served in the pod" > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  const r = CriClient.ok(await cri.rt('ExecSync', { container_id: c, cmd: ['sh', '-c', 'echo out-$WHO; echo err >&2; hostname; exit 7'], timeout: 10 })) as { stdout: Buffer; stderr: Buffer; exit_code: number };
  assert.equal(r.stdout.toString(), 'out-web\nexecs\n');
  assert.equal(r.stderr.toString(), 'err\n');
  assert.equal(r.exit_code, 7);
  const slow = failed(await cri.rt('ExecSync', { container_id: c, cmd: ['sleep', '30'], timeout: 1 }));
  assert.equal(slow.code, status.DEADLINE_EXCEEDED);
  assert.match(slow.details, /sleep 30/);
  assert.equal(failed(await cri.rt('ExecSync', { container_id: 'f'.repeat(64), cmd: ['true'] })).code, status.NOT_FOUND);
  // The pod's DNSConfig is the containers' resolv.conf.
  const resolv = CriClient.ok(await cri.rt('ExecSync', { container_id: c, cmd: ['cat', '/etc/resolv.conf'], timeout: 10 })) as { stdout: Buffer };
  assert.equal(resolv.stdout.toString(), 'nameserver 10.96.0.10\nsearch execs.svc.cluster.local\noptions ndots:5\n');

  // Exec through the streaming server, as kubectl exec through kubelet: SPDY v4, exit status on the error stream.
  const { url } = CriClient.ok(await cri.rt('Exec', { container_id: c, cmd: ['sh', '-c', 'echo streamed; exit 4'], stdout: true, stderr: true })) as { url: string };
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
  const at = CriClient.ok(await cri.rt('Attach', { container_id: echo, stdin: true, stdout: true })) as { url: string };
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
  const pf = CriClient.ok(await cri.rt('PortForward', { pod_sandbox_id: pod, port: [8080] })) as { url: string };
  const fwd = upgraded(await spdyConnect(pf.url, ['portforward.k8s.io']));
  const conn = await openPortForwardStreams(fwd.session, 8080, 1);
  const answer = readAll(conn.data);
  conn.data.end('GET / HTTP/1.0\r\n\r\n');
  assert.match((await answer).toString(), /200 OK[\s\S]*served in the pod/);
  await fwd.session.close();

  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
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
  cri.close();
  await d.crash();
  await d.spawn();
  cri = new CriClient(d.criSocket);
  await cri.ready();

  const st = await podStatus(pod);
  assert.equal(st['state'], 'SANDBOX_READY');
  assert.equal((st['network'] as { ip: string }).ip, ip);
  assert.equal((await containerStatus(live))['state'], 'CONTAINER_RUNNING');
  const after = await containerStatus(gone);
  for (const k of ['state', 'exit_code', 'reason', 'started_at', 'finished_at', 'log_path']) assert.deepEqual(after[k], before[k], k);
  assert.equal(after['reason'], 'Error');
  const r = CriClient.ok(await cri.rt('ExecSync', { container_id: live, cmd: ['hostname'], timeout: 10 })) as { stdout: Buffer };
  assert.equal(r.stdout.toString(), 'lasting\n');
  // The monitor follows it again: a stop is seen.
  CriClient.ok(await cri.rt('StopContainer', { container_id: live, timeout: 2 }));
  assert.equal((await containerStatus(live))['state'], 'CONTAINER_EXITED');
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.deepEqual(await netnsFiles(), []);
});

test('a mount of a host path that does not exist is refused naming it; a host path that does is seen in the container', async () => {
  const pod = await runPod('mounts');
  const missing = failed(await cri.rt('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('m', 'true', { mounts: [{ container_path: '/data', host_path: join(d.dir, 'nope') }] }) }));
  assert.equal(missing.code, status.INVALID_ARGUMENT);
  assert.match(missing.details, /nope/);
  const host = join(d.dir, 'shared');
  await mkdir(host, { recursive: true });
  await writeFile(join(host, 'f'), 'from the host\n');
  const c = await createStarted(pod, containerConfig('m', 'cat /data/f', { mounts: [{ container_path: '/data', host_path: host, readonly: true }] }));
  const st = await exitedStatus(c);
  assert.equal(st['exit_code'], 0);
  assert.deepEqual(st['mounts'], [{ container_path: '/data', host_path: host, readonly: true, selinux_relabel: false, propagation: 'PROPAGATION_PRIVATE' }]);
  assert.deepEqual((await criLog(join(logRoot, 'mounts', 'm', '0.log'))).map((l) => l.text), ['from the host']);
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test("the pod's cgroup_parent holds its containers' cgroups with their limits; oom_score_adj is applied, raised to the host's floor", async () => {
  const top = `berthtest${Math.random().toString(16).slice(2, 10)}`;
  const parent = `/${top}/poduid1`;
  await mkdir(join(logRoot, 'cg'), { recursive: true });
  const r = CriClient.ok(await cri.rt('RunPodSandbox', { config: podConfig('cg', { linux: { cgroup_parent: parent } }) })) as { pod_sandbox_id: string };
  const pod = r.pod_sandbox_id;
  try {
    const mem = 64 * 1024 * 1024;
    const c = await createStarted(pod, containerConfig('limited', 'cat /proc/self/oom_score_adj; while true; do sleep 0.2; done', { linux: { resources: { memory_limit_in_bytes: mem, oom_score_adj: 500 } } }));
    await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
    const limit = (await readFile(`/sys/fs/cgroup/memory${parent}/${c}/memory.limit_in_bytes`, 'utf8')).trim();
    assert.equal(Number(limit), mem);
    await eventually(async () => ((await readFile(join(logRoot, 'cg', 'limited', '0.log'), 'utf8')).includes('500') ? true : undefined));
    const own = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
    const low = await createStarted(pod, containerConfig('low', 'cat /proc/self/oom_score_adj', { linux: { resources: { oom_score_adj: -998 } } }));
    assert.equal((await exitedStatus(low))['exit_code'], 0);
    assert.deepEqual((await criLog(join(logRoot, 'cg', 'low', '0.log'))).map((l) => Number(l.text)), [Math.max(-998, own)]);
    CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
    const left: string[] = [];
    for (const ctl of await readdir('/sys/fs/cgroup')) {
      if ((await readdir(join('/sys/fs/cgroup', ctl, top, 'poduid1')).catch(() => [] as string[])).some((n) => n === c || n === low)) left.push(ctl);
    }
    assert.deepEqual(left, [], "the containers' cgroups went with them");
  } finally {
    await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod });
    // The pod cgroup is kubelet's to remove; here the test made it up, so the test removes it.
    for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      await execFileP('rmdir', [join('/sys/fs/cgroup', ctl, top, 'poduid1')]).catch(() => undefined);
      await execFileP('rmdir', [join('/sys/fs/cgroup', ctl, top)]).catch(() => undefined);
    }
  }
  const bad = failed(await cri.rt('RunPodSandbox', { config: podConfig('cg2', { linux: { cgroup_parent: 'kubepods/../x' } }) }));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /cgroup_parent/);
});

test('a container over its memory limit is OOMKilled', async () => {
  const pod = await runPod('oom');
  const c = await createStarted(pod, containerConfig('hog', 'exec dd if=/dev/zero of=/dev/null bs=200M count=1', { linux: { resources: { memory_limit_in_bytes: 32 * 1024 * 1024, memory_swap_limit_in_bytes: 32 * 1024 * 1024 } } }));
  const st = await exitedStatus(c);
  assert.equal(st['reason'], 'OOMKilled', JSON.stringify(st));
  assert.equal(st['exit_code'], 137);
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test("UpdateContainerResources changes a running container's limits; ReopenContainerLog follows kubelet's rotation", async () => {
  const pod = await runPod('upd');
  const c = await createStarted(pod, containerConfig('ticker', 'while true; do echo tick; sleep 0.1; done', { linux: { resources: { memory_limit_in_bytes: 64 << 20 } } }));
  await eventually(async () => ((await containerStatus(c))['state'] === 'CONTAINER_RUNNING' ? true : undefined));
  CriClient.ok(await cri.rt('UpdateContainerResources', { container_id: c, linux: { memory_limit_in_bytes: 96 << 20, cpu_shares: 512 } }));
  assert.equal(Number((await readFile(`/sys/fs/cgroup/memory/berth/${c}/memory.limit_in_bytes`, 'utf8')).trim()), 96 << 20);
  assert.equal(Number((await readFile(`/sys/fs/cgroup/cpu/berth/${c}/cpu.shares`, 'utf8')).trim()), 512);
  const res = ((await containerStatus(c))['resources'] as { linux: { memory_limit_in_bytes: string } }).linux;
  assert.equal(res.memory_limit_in_bytes, String(96 << 20));
  const bad = failed(await cri.rt('UpdateContainerResources', { container_id: c, linux: { hugepage_limits: [{ page_size: '2MB', limit: 1 }] } }));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /hugepage_limits/);

  // kubelet's rotation: rename, then ReopenContainerLog; the new file at the same path gets the next lines.
  const log = join(logRoot, 'upd', 'ticker', '0.log');
  await eventually(async () => ((await readFile(log, 'utf8')).includes('tick') ? true : undefined));
  await execFileP('mv', [log, `${log}.20261208-000000`]);
  CriClient.ok(await cri.rt('ReopenContainerLog', { container_id: c }));
  await eventually(async () => ((await readFile(log, 'utf8').catch(() => '')).includes('tick') ? true : undefined), 10_000, 'lines in the reopened log');
  assert.ok((await criLog(log)).every((l) => l.text === 'tick'));
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
  assert.equal(failed(await cri.rt('ReopenContainerLog', { container_id: c })).code, status.NOT_FOUND);
});

test('a RunPodSandbox whose caller gives up half-way leaves nothing: no namespace, address, veth or record', async () => {
  // A plugin of the test's own after the bridge, slow on ADD: the caller's deadline passes meanwhile.
  const bin = join(d.dir, 'cni-bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'slow'),
    `#!${process.execPath}\nlet t='';process.stdin.on('data',(c)=>t+=c).on('end',()=>{const c=JSON.parse(t);if(process.env.CNI_COMMAND!=='ADD')return;setTimeout(()=>process.stdout.write(JSON.stringify(c.prevResult)),3000);});\n`,
    { mode: 0o755 },
  );
  const slow = join(d.dir, 'net.d', '00-slow.conflist');
  await writeFile(
    slow,
    JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', subnet, dataDir: join(d.dir, 'ipam') } }, { type: 'slow' }] }),
  );
  try {
    await mkdir(join(logRoot, 'hasty'), { recursive: true });
    const r = failed(await cri.rt('RunPodSandbox', { config: podConfig('hasty') }, 1000));
    assert.equal(r.code, status.DEADLINE_EXCEEDED);
    await eventually(
      async () => {
        const held = (await readdir(join(d.dir, 'ipam', 'pods')).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
        const veths = (await execFileP('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.trim();
        return held.length === 0 && veths === '' && (await netnsFiles()).length === 0 ? true : undefined;
      },
      15_000,
      'the half-made sandbox undone',
    );
    assert.deepEqual((CriClient.ok(await cri.rt('ListPodSandbox', {})) as { items: unknown[] }).items, []);
  } finally {
    await rm(slow, { force: true });
  }
  // The name is free again.
  const id = await runPod('hasty');
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: id }));
});

test('ContainerStats and PodSandboxStats: CPU time, memory and the writable layer of running containers', async () => {
  const pod = await runPod('stats');
  const c = await createStarted(pod, containerConfig('busy', 'head -c 3000000 /dev/urandom > /big; while true; do :; done', { linux: { resources: { memory_limit_in_bytes: 64 << 20 } } }));
  type Stats = { attributes: { id: string; metadata: { name: string } }; cpu: { usage_core_nano_seconds: { value: string } }; memory: { working_set_bytes: { value: string }; usage_bytes: { value: string } }; writable_layer: { used_bytes: { value: string } } };
  const st = await eventually(async () => {
    const s = (CriClient.ok(await cri.rt('ContainerStats', { container_id: c })) as { stats: Stats }).stats;
    return Number(s.writable_layer?.used_bytes.value ?? 0) >= 3_000_000 && Number(s.cpu?.usage_core_nano_seconds.value ?? 0) > 0 ? s : undefined;
  }, 20_000, 'stats of a busy container');
  assert.equal(st.attributes.id, c);
  assert.equal(st.attributes.metadata.name, 'busy');
  assert.ok(Number(st.memory.usage_bytes.value) > 0);
  const list = (CriClient.ok(await cri.rt('ListContainerStats', { filter: { pod_sandbox_id: pod } })) as { stats: Stats[] }).stats;
  assert.deepEqual(list.map((s) => s.attributes.id), [c]);
  const ps = (CriClient.ok(await cri.rt('PodSandboxStats', { pod_sandbox_id: pod })) as { stats: { attributes: { id: string }; linux: { cpu: { usage_core_nano_seconds: { value: string } }; containers: Stats[] } } }).stats;
  assert.equal(ps.attributes.id, pod);
  assert.deepEqual(ps.linux.containers.map((s) => s.attributes.id), [c]);
  assert.ok(Number(ps.linux.cpu.usage_core_nano_seconds.value) > 0);
  const all = (CriClient.ok(await cri.rt('ListPodSandboxStats', { filter: { label_selector: { app: 'stats' } } })) as { stats: { attributes: { id: string } }[] }).stats;
  assert.deepEqual(all.map((s) => s.attributes.id), [pod]);
  assert.equal(failed(await cri.rt('ContainerStats', { container_id: 'f'.repeat(64) })).code, status.NOT_FOUND);
  CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
});

test('host ports through the portmap plugin: the pod answers on the host port; its rules go with the pod', async () => {
  const conf = join(d.dir, 'net.d', '00-ports.conflist');
  await writeFile(
    conf,
    JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', subnet, dataDir: join(d.dir, 'ipam') } }, { type: 'portmap', capabilities: { portMappings: true } }] }),
  );
  const hostPort = 30000 + Math.floor(Math.random() * 20000);
  let pod = '';
  try {
    await mkdir(join(logRoot, 'ports'), { recursive: true });
    pod = (CriClient.ok(await cri.rt('RunPodSandbox', { config: podConfig('ports', { port_mappings: [{ protocol: 'TCP', container_port: 8080, host_port: hostPort }] }) })) as { pod_sandbox_id: string }).pod_sandbox_id;
    await createStarted(pod, containerConfig('web', 'mkdir -p /www && echo "via the host port" > /www/index.html && exec httpd -f -p 8080 -h /www'));
    const gateway = `10.77.${third}.1`;
    const body = await eventually(async () => {
      const r = await execFileP('wget', ['-q', '-T', '2', '-O', '-', `http://${gateway}:${hostPort}/`]).catch(() => undefined);
      return r?.stdout;
    }, 15_000, `an answer on ${gateway}:${hostPort}`);
    assert.equal(body, 'via the host port\n');
    CriClient.ok(await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod }));
    const rules = (await execFileP('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.includes(pod) || l.includes(`--dport ${hostPort}`));
    assert.deepEqual(rules, [], 'the pod\'s port rules removed');
  } finally {
    if (pod) await cri.rt('RemovePodSandbox', { pod_sandbox_id: pod });
    await rm(conf, { force: true });
  }
});

test('nothing of the pods is left: no pod namespace file, veth, address, cgroup, mount or conmon', async () => {
  assert.deepEqual((CriClient.ok(await cri.rt('ListPodSandbox', {})) as { items: unknown[] }).items, []);
  assert.deepEqual(await netnsFiles(), []);
  const veths = (await execFileP('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.trim();
  assert.equal(veths, '', 'no veth on the pods bridge');
  const held = (await readdir(join(d.dir, 'ipam', 'pods')).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  assert.deepEqual(held, []);
  assert.deepEqual(await leftoverMounts(join(d.execRoot, 'pods')), []);
  assert.deepEqual(await leftoverMounts(join(d.dataRoot, 'containers')), []);
  assert.ok(d.seenIds.size >= 8);
  assert.deepEqual(leftoverCgroups(d.seenIds), []);
  const ps = (await execFileP('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => l.includes('conmon') && l.includes(d.dir));
  assert.deepEqual(ps, []);
});
