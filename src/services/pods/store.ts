import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, NotFound } from '../../errdefs/index.js';
import type { CniNetworkList, CniResult } from '../../core/network/index.js';
import { writeFileAtomic } from '../../util/index.js';
import type { PidHolder, PodNamespaces } from './namespaces.js';

/** Who a pod is, as its orchestrator names it (kubelet: name, uid, namespace, attempt). */
export interface PodMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export type SandboxState = 'ready' | 'notready';

/** What a pod sandbox is asked to be, in berth's words (the CRI dialect translates PodSandboxConfig). */
export interface SandboxRequest {
  metadata: PodMetadata;
  hostname: string;
  logDirectory: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  dns: { servers: string[]; search: string[]; options: string[] };
  hostNetwork: boolean;
  /** Containers share one PID namespace (kubelet's shareProcessNamespace). */
  sharedPid: boolean;
  /** The host's PID namespace (NamespaceOption.pid NODE, kubelet's hostPID). */
  hostPid: boolean;
  /** The host's IPC namespace (NamespaceOption.ipc NODE, kubelet's hostIPC): no IPC namespace of the pod's own. */
  hostIpc: boolean;
  /** Privileged containers may run in it (kubelet asks for it when one of the pod's containers is). */
  privileged: boolean;
  /** Host ports published through the CNI chain's portMappings capability (the portmap plugin). */
  portMappings: PortMapping[];
  sysctls: Record<string, string>;
  cgroupParent: string;
  /** As kubelet asked ('' = the default). */
  runtimeHandler: string;
}

/** What records written before these fields existed lack (read as false). */
type LaterFields = 'sharedPid' | 'hostPid' | 'hostIpc' | 'privileged';

/** A pod sandbox as stored: the request, and what RunPodSandbox made of it. */
export interface SandboxRecord extends Omit<SandboxRequest, LaterFields>, Partial<Pick<SandboxRequest, LaterFields>> {
  id: string;
  /** Unique among pods: name, namespace, uid and attempt joined, as containerd names sandboxes. */
  key: string;
  /** The berthd runtime the handler came to at RunPodSandbox, which the pod's containers run with (absent in older records: the daemon's default). */
  runtime?: string;
  namespaces: PodNamespaces;
  /** The holder of a shared PID namespace (NamespaceOption.pid POD). */
  pidHolder?: PidHolder;
  /** The CNI attachment while the pod is ready: the network's name, the chain's result, the pod IP. */
  network?: { name: string; result: CniResult; ip: string; ips: string[]; list?: CniNetworkList };
  state: SandboxState;
  /** Nanoseconds since the epoch, as a decimal string (CRI's int64). */
  createdNs: string;
}

/**
 * Pod sandboxes, one JSON file each under `dir`, written atomically (a crash leaves the old or the
 * new file, never half of one), all held in memory: a node runs tens of pods, not thousands.
 */
export class SandboxStore {
  readonly #pods = new Map<string, SandboxRecord>();

  constructor(readonly dir: string) {}

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const rec = await readFile(join(this.dir, f), 'utf8')
        .then((t) => JSON.parse(t) as SandboxRecord)
        .catch(() => undefined);
      if (rec?.id) this.#pods.set(rec.id, rec);
    }
  }

  get(id: string): SandboxRecord | undefined {
    return this.#pods.get(id);
  }

  /** By full id or a unique prefix, as crictl passes them; NotFound naming the id. */
  resolve(id: string): SandboxRecord {
    const exact = this.#pods.get(id);
    if (exact) return exact;
    const hits = id.length >= 3 ? [...this.#pods.values()].filter((p) => p.id.startsWith(id)) : [];
    if (hits.length === 1) return hits[0] as SandboxRecord;
    if (hits.length > 1) throw new Conflict(`pod sandbox id prefix ${id} is ambiguous`);
    throw new NotFound(`pod sandbox ${id} not found`);
  }

  list(): SandboxRecord[] {
    return [...this.#pods.values()];
  }

  byKey(key: string): SandboxRecord | undefined {
    return [...this.#pods.values()].find((p) => p.key === key);
  }

  async save(rec: SandboxRecord): Promise<void> {
    await writeFileAtomic(join(this.dir, `${rec.id}.json`), JSON.stringify(rec), 0o600);
    this.#pods.set(rec.id, rec);
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    this.#pods.delete(id);
  }
}
