import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDaemon, eventually } from './daemon.js';
import { CriClient, type CriResult, type status } from './cri.js';
import type { Refused, Upgraded } from '../../src/server/cri/streaming/client.js';

/*
 * The shared set-up of the CRI pod tests: a berthd serving the CRI, a CNI bridge network of the
 * test's own (Debian's plugins; its bridge, subnet and host-local store are the test's), busybox,
 * and the helpers that build CRI requests and read their answers. `pods.cri` is replaced when a
 * test restarts berthd.
 */
export const execFileP = promisify(execFile);
export type Msg = Record<string, unknown>;

export const pods = {
  d: undefined as unknown as TestDaemon,
  cri: undefined as unknown as CriClient,
  logRoot: '',
  bridge: `bc${Math.random().toString(16).slice(2, 10)}`,
  /** The pods' /24 (first three octets), random so that test files running at once never share one. */
  prefix: `10.${100 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`,
  get subnet(): string {
    return `${this.prefix}.0/24`;
  },
  /** The bridge plugin's configuration, for test lists that add plugins after it. */
  bridgePlugin(): Msg {
    return { type: 'bridge', bridge: this.bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', subnet: this.subnet, dataDir: join(this.d.dir, 'ipam') } };
  },
};

/**
 * Registers the file's before/after hooks: the daemon and network up first, every pod removed and
 * checked at the end. `extra`: more daemon.json keys (made from the test's dir), and a step before berthd starts.
 */
export function usePodsFixture(extra: { config?: (dir: string) => Msg; beforeSpawn?: (d: TestDaemon) => Promise<void> } = {}): void {
  before(async () => {
    pods.d = await TestDaemon.start({
      cri: true,
      config: (dir) => ({ ...(extra.config?.(dir) ?? {}), cri: { 'cni-conf-dir': join(dir, 'net.d'), 'cni-bin-dirs': [join(dir, 'cni-bin'), '/usr/lib/cni'] } }),
      ...(extra.beforeSpawn ? { beforeSpawn: extra.beforeSpawn } : {}),
    });
    await mkdir(join(pods.d.dir, 'net.d'), { recursive: true });
    await writeFile(join(pods.d.dir, 'net.d', '10-pods.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [pods.bridgePlugin()] }));
    pods.logRoot = join(pods.d.dir, 'pod-logs');
    await pods.d.makeBusyboxImage('busybox:latest');
    pods.cri = new CriClient(pods.d.criSocket);
    await pods.cri.ready();
  });

  after(async () => {
    // A test that failed half-way leaves its pods: they go first, so cleanup's checks see the rest.
    const cri = pods.cri as CriClient | undefined;
    const left = cri ? await cri.rt('ListPodSandbox', {}) : undefined;
    for (const p of left?.ok ? (left.reply['items'] as { id: string }[]) : []) await cri?.rt('RemovePodSandbox', { pod_sandbox_id: p.id });
    cri?.close();
    await (pods.d as TestDaemon | undefined)?.cleanup();
    await execFileP('ip', ['link', 'del', pods.bridge]).catch(() => undefined);
  });
}

export function failed(r: CriResult): { code: status; details: string } {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as { code: status; details: string };
}

export function podConfig(name: string, extra: Msg = {}): Msg {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    hostname: name,
    log_directory: join(pods.logRoot, name),
    labels: { app: name, tier: 'test' },
    annotations: { 'a.b/c': 'd' },
    dns_config: { servers: ['10.96.0.10'], searches: [`${name}.svc.cluster.local`], options: ['ndots:5'] },
    linux: { security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    ...extra,
  };
}

export async function runPod(name: string, extra: Msg = {}): Promise<string> {
  await mkdir(join(pods.logRoot, name), { recursive: true });
  const r = CriClient.ok(await pods.cri.rt('RunPodSandbox', { config: podConfig(name, extra) })) as { pod_sandbox_id: string };
  assert.match(r.pod_sandbox_id, /^[0-9a-f]{64}$/);
  return r.pod_sandbox_id;
}

export async function podStatus(id: string): Promise<Msg> {
  return (CriClient.ok(await pods.cri.rt('PodSandboxStatus', { pod_sandbox_id: id })) as { status: Msg }).status;
}

/** The pods' namespace folders under the exec root: one per sandbox that exists. */
export async function netnsFiles(): Promise<string[]> {
  return readdir(join(pods.d.execRoot, 'pods')).catch(() => [] as string[]);
}

export function containerConfig(name: string, cmd: string, extra: Msg = {}): Msg {
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

export async function createStarted(pod: string, config: Msg): Promise<string> {
  const created = CriClient.ok(await pods.cri.rt('CreateContainer', { pod_sandbox_id: pod, config, sandbox_config: podConfig('unused') })) as { container_id: string };
  // cleanup checks that none of their cgroups stayed.
  pods.d.seenIds.add(created.container_id);
  CriClient.ok(await pods.cri.rt('StartContainer', { container_id: created.container_id }));
  return created.container_id;
}

export async function containerStatus(id: string): Promise<Msg> {
  return (CriClient.ok(await pods.cri.rt('ContainerStatus', { container_id: id })) as { status: Msg }).status;
}

export async function runningStatus(id: string): Promise<Msg> {
  return eventually(async () => {
    const s = await containerStatus(id);
    return s['state'] === 'CONTAINER_RUNNING' ? s : undefined;
  }, 20_000, `container ${id} running`);
}

export async function exitedStatus(id: string): Promise<Msg> {
  return eventually(async () => {
    const s = await containerStatus(id);
    return s['state'] === 'CONTAINER_EXITED' ? s : undefined;
  }, 20_000, `container ${id} exited`);
}

/** The CRI log lines (`<RFC3339Nano> stdout|stderr P|F <text>`) of a file, parsed; any other line fails. */
export async function criLog(path: string): Promise<{ stream: string; tag: string; text: string }[]> {
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

export function upgraded(r: Upgraded | Refused): Upgraded {
  if (r.kind !== 'spdy') assert.fail(`refused with ${r.status}: ${r.body}`);
  return r;
}
