import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument } from '../../errdefs/index.js';
import { cniAddList, cniDelList, hasCapability, loadCniNetwork, type CniResult } from '../../core/network/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { randomHex } from '../../util/index.js';
import { createPodNamespaces, removeNamespaceFile, removePodNamespaces, startPidHolder, stopPidHolder, type PidHolder, type PodNamespaces } from './namespaces.js';
import type { PortMapping, SandboxRecord, SandboxRequest, SandboxStore } from './store.js';
import { runtimeForHandler, type PodRuntimes } from './runtime-handler.js';

/** The portMappings capability argument, as libcni's callers (containerd, CRI-O) spell it. */
function capabilitiesOf(pod: { portMappings?: PortMapping[] }): Record<string, unknown> {
  if (!pod.portMappings?.length) return {};
  return { portMappings: pod.portMappings.map((m) => ({ hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol, hostIP: m.hostIp })) };
}

/** The container operations a pod needs: its containers stopped and removed with it. */
export interface PodContainers {
  inNamespace<T>(namespace: string, fn: () => T): T;
  list(): ContainerRecord[];
  stop(id: string, opts: { timeout?: number }): Promise<void>;
  remove(id: string, opts: { force?: boolean }): Promise<void>;
}

export interface PodServiceDeps {
  store: SandboxStore;
  /** Where each pod's namespace files live (<exec-root>/pods). */
  runDir: string;
  cni: { confDir: string; binDirs: string[] };
  containers: PodContainers;
  /** The store namespace of pods' containers. */
  namespace: string;
  /** berthd's runtimes, which runtime handlers name; absent: runc only. */
  runtimes?: PodRuntimes;
  log(msg: string, err?: unknown): void;
}

const IFNAME = 'eth0';

function podIps(result: CniResult): string[] {
  return (result.ips ?? []).map((i) => i.address.replace(/\/\d+$/, ''));
}

/** Pod sandboxes: their namespaces, their CNI attachment, their lifecycle (run, stop, remove). */
export class PodService {
  readonly #reserved = new Set<string>();

  constructor(readonly deps: PodServiceDeps) {}

  /** After a start: a pod whose namespaces went (a reboot emptied the exec root) is not ready. */
  async restore(): Promise<void> {
    await this.deps.store.load();
    for (const p of this.deps.store.list()) {
      if (p.state !== 'ready') continue;
      const alive = await stat(p.namespaces.uts).then(() => true, () => false);
      if (!alive) await this.deps.store.save({ ...p, state: 'notready' });
    }
  }

  get(id: string): SandboxRecord {
    return this.deps.store.resolve(id);
  }

  list(): SandboxRecord[] {
    return this.deps.store.list();
  }

  containersOf(id: string): ContainerRecord[] {
    return this.deps.containers.inNamespace(this.deps.namespace, () => this.deps.containers.list().filter((c) => c.pod === id));
  }

  /**
   * Makes the namespaces, attaches the network, records the pod. Every step made is undone when a
   * later one fails or the caller gives up (`signal`): nothing half-made stays.
   */
  async run(req: SandboxRequest, signal?: AbortSignal): Promise<SandboxRecord> {
    const m = req.metadata;
    if (!m.name || !m.uid || !m.namespace) throw new InvalidArgument('pod sandbox metadata needs a name, a uid and a namespace');
    const key = `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;
    const taken = this.deps.store.byKey(key);
    if (taken) throw new Conflict(`pod sandbox name "${key}" is reserved for ${taken.id}`);
    const runtime = runtimeForHandler(req.runtimeHandler, this.deps.runtimes);
    if (this.#reserved.has(key)) throw new Conflict(`pod sandbox name "${key}" is being created`);
    this.#reserved.add(key);
    const id = randomHex(32);
    const dir = join(this.deps.runDir, id);
    let ns: PodNamespaces | undefined;
    let holder: PidHolder | undefined;
    let attached: { net: Awaited<ReturnType<typeof loadCniNetwork>>; result: CniResult } | undefined;
    try {
      signal?.throwIfAborted();
      if (req.sharedPid && req.hostPid) throw new InvalidArgument('a pod sandbox cannot both share a PID namespace of its own and use the host\'s');
      ns = await createPodNamespaces(dir, req.hostname || m.name, { network: req.hostNetwork, ipc: req.hostIpc });
      if (req.sharedPid) {
        const started = await startPidHolder(dir);
        ns.pid = started.path;
        holder = started.holder;
      }
      if (ns.net) {
        const net = await loadCniNetwork(this.deps.cni.confDir);
        if (req.portMappings.length && !hasCapability(net, 'portMappings')) {
          throw new InvalidArgument(`host ports need a CNI plugin with the portMappings capability (portmap) in network ${net.name} (${net.file})`);
        }
        const at = { containerId: id, netns: ns.net, ifname: IFNAME, args: { K8S_POD_NAMESPACE: m.namespace, K8S_POD_NAME: m.name, K8S_POD_INFRA_CONTAINER_ID: id, K8S_POD_UID: m.uid }, capabilities: capabilitiesOf(req) };
        attached = { net, result: await cniAddList(net, this.deps.cni.binDirs, at) };
      }
      signal?.throwIfAborted();
      const ips = attached ? podIps(attached.result) : [];
      const rec: SandboxRecord = {
        id,
        key,
        ...req,
        runtime,
        namespaces: ns,
        ...(holder ? { pidHolder: holder } : {}),
        ...(attached ? { network: { name: attached.net.name, result: attached.result, ip: ips[0] ?? '', ips, list: attached.net } } : {}),
        state: 'ready',
        createdNs: String(BigInt(Date.now()) * 1_000_000n),
      };
      await this.deps.store.save(rec);
      return rec;
    } catch (e) {
      if (attached && ns?.net) await cniDelList(attached.net, this.deps.cni.binDirs, { containerId: id, netns: ns.net, ifname: IFNAME, capabilities: capabilitiesOf(req) }, attached.result).catch((err: unknown) => this.deps.log(`CNI DEL of pod ${id}`, err));
      if (holder && ns?.pid) await stopPidHolder(holder, ns.pid);
      if (ns) await removePodNamespaces(ns);
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      this.#reserved.delete(key);
    }
  }

  /** Stops every container of the pod (SIGKILL, as containerd's stop), releases its network. Idempotent. */
  async stop(id: string): Promise<void> {
    const pod = this.get(id);
    for (const c of this.containersOf(pod.id)) {
      if (c.state.status !== 'running' && c.state.status !== 'paused' && c.state.status !== 'restarting') continue;
      await this.deps.containers.inNamespace(this.deps.namespace, () => this.deps.containers.stop(c.id, { timeout: 0 })).catch((e: unknown) => this.deps.log(`stopping container ${c.id} of pod ${pod.id}`, e));
    }
    if (pod.network && pod.namespaces.net) {
      // DEL goes through the list the pod was attached with: the conf dir may have changed (or gone)
      // since, and what ADD allocated must still be released.
      const net = pod.network.list ?? (await loadCniNetwork(this.deps.cni.confDir));
      await cniDelList(net, this.deps.cni.binDirs, { containerId: pod.id, netns: pod.namespaces.net, ifname: IFNAME, capabilities: capabilitiesOf(pod) }, pod.network.result);
    }
    if (pod.namespaces.net) await removeNamespaceFile(pod.namespaces.net);
    if (pod.pidHolder && pod.namespaces.pid) await stopPidHolder(pod.pidHolder, pod.namespaces.pid);
    if (pod.state !== 'notready' || pod.network) {
      const { network: _gone, ...rest } = pod;
      await this.deps.store.save({ ...rest, state: 'notready' });
    }
  }

  /** Stops the pod, removes its containers, namespaces and record. An unknown id is no error (kubelet retries). */
  async remove(id: string): Promise<void> {
    let pod: SandboxRecord;
    try {
      pod = this.get(id);
    } catch {
      return;
    }
    await this.stop(pod.id);
    for (const c of this.containersOf(pod.id)) {
      await this.deps.containers.inNamespace(this.deps.namespace, () => this.deps.containers.remove(c.id, { force: true }));
    }
    await removePodNamespaces(pod.namespaces);
    await rm(join(this.deps.runDir, pod.id), { recursive: true, force: true });
    await this.deps.store.delete(pod.id);
  }
}
