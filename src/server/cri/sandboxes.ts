import { hostname as osHostname } from 'node:os';
import { InvalidArgument } from '../../errdefs/index.js';
import type { PodPortMapping, SandboxRecord, SandboxRequest } from '../../services/index.js';
import type { CriDeps } from './deps.js';
import { unary } from './rpc.js';
import { bool, map, num, obj, selects, str, strings, type Msg } from './wire.js';

const STATE = { ready: 'SANDBOX_READY', notready: 'SANDBOX_NOTREADY' } as const;

/** PortMapping list → berth's; a host network pod's ports are the host's already (as containerd, none needed). */
function portMappingsOf(c: Msg, hostNetwork: boolean): PodPortMapping[] {
  const list = Array.isArray(c['port_mappings']) ? (c['port_mappings'] as unknown[]).map(obj) : [];
  if (hostNetwork) return [];
  return list
    .filter((m) => num(m, 'host_port') > 0)
    .map((m) => {
      const containerPort = num(m, 'container_port');
      const hostPort = num(m, 'host_port');
      if (containerPort < 1 || containerPort > 65535 || hostPort > 65535) throw new InvalidArgument(`RunPodSandbox: port mapping ${hostPort}:${containerPort} is not a pair of TCP/UDP ports`);
      const proto = (str(m, 'protocol') || 'TCP').toLowerCase();
      if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgument(`RunPodSandbox: port mapping protocol ${str(m, 'protocol')} is not TCP, UDP or SCTP`);
      return { protocol: proto, containerPort, hostPort, hostIp: str(m, 'host_ip') };
    });
}

/** kubelet's pod cgroup under the cgroupfs driver: an absolute path, no `..`. */
function cgroupParentOf(linux: Msg | null, driver: 'cgroupfs' | 'systemd'): string {
  const p = str(linux, 'cgroup_parent');
  if (p === '') return '';
  if (driver === 'systemd') throw new InvalidArgument(`RunPodSandbox: cgroup_parent ${JSON.stringify(p)}: berth's cgroup-driver systemd is not supported yet (use cgroupfs, with kubelet's cgroupDriver cgroupfs)`);
  if (!p.startsWith('/') || p.split('/').includes('..')) throw new InvalidArgument(`RunPodSandbox: cgroup_parent ${JSON.stringify(p)} is not an absolute cgroup path (the cgroupfs driver wants /kubepods/…)`);
  return p;
}

/** PodSandboxConfig → berth's sandbox request; what berth cannot do is refused naming the field. */
export function sandboxRequest(config: unknown, runtimeHandler: string, driver: 'cgroupfs' | 'systemd' = 'cgroupfs'): SandboxRequest {
  const c = obj(config);
  const md = obj(c?.['metadata']);
  if (!c || !md) throw new InvalidArgument('RunPodSandbox: the sandbox config has no metadata');
  if (!str(md, 'name') || !str(md, 'uid') || !str(md, 'namespace')) throw new InvalidArgument('RunPodSandbox: metadata.name, metadata.uid and metadata.namespace are required');
  // Which runtime a handler names is the pod service's to say (berthd's runtimes).
  const linux = obj(c['linux']);
  const sc = obj(linux?.['security_context']);
  const nso = obj(sc?.['namespace_options']);
  if (nso) {
    // TARGET is a container's mode (another container's PID namespace), never a pod's.
    if (str(nso, 'pid') === 'TARGET') throw new InvalidArgument('RunPodSandbox: namespace_options.pid TARGET is for containers, not pod sandboxes (use CONTAINER, POD or NODE)');
    if (str(nso, 'ipc') === 'TARGET' || str(nso, 'network') === 'TARGET') throw new InvalidArgument('RunPodSandbox: namespace_options ipc and network TARGET are not namespace modes of a pod (use POD or NODE)');
    if (str(obj(nso['userns_options']), 'mode') === 'POD') throw new InvalidArgument('RunPodSandbox: userns_options (pod user namespaces) are not supported by berth yet');
  }
  // The sandbox's own run_as_user, seccomp, readonly_rootfs, supplemental groups and overhead are the
  // pause process's in containerd; a berth pod has no such process (a shared PID namespace's
  // catatonit only reaps), so they have nothing to apply to. The containers' own contexts apply.
  // As containerd: a pod that names no hostname gets the node's.
  const hostname = str(c, 'hostname') || osHostname();
  if (hostname.length > 64 || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(hostname)) {
    throw new InvalidArgument(`RunPodSandbox: hostname ${JSON.stringify(hostname)} is not a valid hostname (at most 64 letters, digits, dots and dashes)`);
  }
  const dns = obj(c['dns_config']);
  return {
    metadata: { name: str(md, 'name'), uid: str(md, 'uid'), namespace: str(md, 'namespace'), attempt: num(md, 'attempt') },
    hostname,
    logDirectory: str(c, 'log_directory'),
    labels: map(c, 'labels'),
    annotations: map(c, 'annotations'),
    dns: { servers: strings(dns, 'servers'), search: strings(dns, 'searches'), options: strings(dns, 'options') },
    hostNetwork: str(nso, 'network') === 'NODE',
    // Without namespace options, kubelet's default: a PID namespace per container.
    sharedPid: str(nso, 'pid') === 'POD',
    hostPid: str(nso, 'pid') === 'NODE',
    hostIpc: str(nso, 'ipc') === 'NODE',
    // The pod has no process of its own to run privileged: this is what its containers may be.
    privileged: bool(sc, 'privileged'),
    portMappings: portMappingsOf(c, str(nso, 'network') === 'NODE'),
    sysctls: map(linux, 'sysctls'),
    cgroupParent: cgroupParentOf(linux, driver),
    runtimeHandler,
  };
}

function metadataOf(p: SandboxRecord): Msg {
  return { name: p.metadata.name, uid: p.metadata.uid, namespace: p.metadata.namespace, attempt: p.metadata.attempt };
}

export function sandboxSummary(p: SandboxRecord): Msg {
  return { id: p.id, metadata: metadataOf(p), state: STATE[p.state], created_at: p.createdNs, labels: p.labels, annotations: p.annotations, runtime_handler: p.runtimeHandler };
}

function sandboxStatus(p: SandboxRecord): Msg {
  const mode = p.hostNetwork ? 'NODE' : 'POD';
  return {
    ...sandboxSummary(p),
    network: { ip: p.network?.ip ?? '', additional_ips: (p.network?.ips ?? []).slice(1).map((ip) => ({ ip })) },
    linux: { namespaces: { options: { network: mode, pid: p.hostPid ? 'NODE' : p.namespaces.pid ? 'POD' : 'CONTAINER', ipc: p.hostIpc ? 'NODE' : 'POD', target_id: '' } } },
  };
}

/** The pod sandbox RPCs. */
export function sandboxHandlers(deps: CriDeps) {
  const pods = deps.pods;
  return {
    RunPodSandbox: unary('RunPodSandbox', async (req, ctx) => {
      const pod = await pods.run(sandboxRequest(req['config'], str(req, 'runtime_handler'), deps.config.cgroupDriver), ctx.signal);
      return { pod_sandbox_id: pod.id };
    }),

    StopPodSandbox: unary('StopPodSandbox', async (req) => {
      await pods.stop(required(req, 'StopPodSandbox'));
      return {};
    }),

    RemovePodSandbox: unary('RemovePodSandbox', async (req) => {
      await pods.remove(required(req, 'RemovePodSandbox'));
      return {};
    }),

    PodSandboxStatus: unary('PodSandboxStatus', async (req) => {
      const p = pods.get(required(req, 'PodSandboxStatus'));
      const info: Record<string, string> = {};
      if (bool(req, 'verbose')) {
        info['info'] = JSON.stringify({ pid: p.pidHolder?.pid ?? 0, namespaces: p.namespaces, network: p.network ?? null, config: { hostname: p.hostname, privileged: p.privileged === true, logDirectory: p.logDirectory, dns: p.dns, cgroupParent: p.cgroupParent, sysctls: p.sysctls }, runtimeHandler: p.runtimeHandler, runtime: p.runtime ?? '' });
      }
      return { status: sandboxStatus(p), info, containers_statuses: [], timestamp: String(BigInt(Date.now()) * 1_000_000n) };
    }),

    ListPodSandbox: unary('ListPodSandbox', async (req) => {
      const f = obj(req['filter']);
      const id = str(f, 'id');
      const state = obj(f?.['state']);
      const selector = map(f, 'label_selector');
      const items = pods
        .list()
        .filter((p) => (id === '' || p.id.startsWith(id)) && (!state || STATE[p.state] === str(state, 'state')) && selects(selector, p.labels))
        .map(sandboxSummary);
      return { items };
    }),
  };
}

function required(req: Msg, rpc: string): string {
  const id = str(req, 'pod_sandbox_id');
  if (!id) throw new InvalidArgument(`${rpc}: pod_sandbox_id is required`);
  return id;
}
