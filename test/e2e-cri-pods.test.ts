import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDaemon, eventually } from './helpers/daemon.js';
import { CriClient, status, type CriResult } from './helpers/cri.js';

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
    config: (dir) => ({ cri: { 'cni-conf-dir': join(dir, 'net.d'), 'cni-bin-dirs': ['/usr/lib/cni'] } }),
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

test('bad sandbox configs: no metadata, host ports, a shared pid namespace: INVALID_ARGUMENT naming them', async () => {
  const none = failed(await cri.rt('RunPodSandbox', { config: { hostname: 'x' } }));
  assert.equal(none.code, status.INVALID_ARGUMENT);
  assert.match(none.details, /metadata/);
  const ports = failed(await cri.rt('RunPodSandbox', { config: podConfig('ports', { port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080 }] }) }));
  assert.equal(ports.code, status.INVALID_ARGUMENT);
  assert.match(ports.details, /port_mappings/);
  const pid = failed(await cri.rt('RunPodSandbox', { config: podConfig('pid', { linux: { security_context: { namespace_options: { pid: 'POD' } } } }) }));
  assert.equal(pid.code, status.INVALID_ARGUMENT);
  assert.match(pid.details, /namespace_options\.pid POD/);
  assert.deepEqual(await netnsFiles(), []);
});
