import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import { defaultContainerSpec, type CreateInput, type MountRequest, type ResourceSpec, type SandboxRecord, type SeccompSpec } from '../../services/index.js';
import { bool, map, num, obj, str, strings, type Msg } from './wire.js';

/** What the CRI view of a container keeps (record.views.cri): what ContainerStatus shows back. */
export interface CriView {
  name: string;
  attempt: number;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  mounts: { container_path: string; host_path: string; readonly: boolean; selinux_relabel: boolean; propagation: string }[];
}

const PROPAGATION: Record<string, string> = { PROPAGATION_PRIVATE: 'rprivate', PROPAGATION_HOST_TO_CONTAINER: 'rslave', PROPAGATION_BIDIRECTIONAL: 'rshared' };

function refuse(field: string, why = 'is not supported by berth yet'): never {
  throw new InvalidArgument(`CreateContainer: ${field} ${why}`);
}

async function seccompOf(sc: Msg | null): Promise<SeccompSpec> {
  const p = obj(sc?.['seccomp']);
  const legacy = str(sc, 'seccomp_profile_path');
  // No profile asked for: unconfined, as kubelet means it and containerd runs it.
  if (!p) {
    if (legacy === '' || legacy === 'unconfined') return { mode: 'unconfined' };
    if (legacy === 'runtime/default' || legacy === 'docker/default') return { mode: 'default' };
    if (legacy.startsWith('localhost/')) return { mode: 'profile', profile: await readProfile(legacy.slice('localhost/'.length)) };
    return refuse(`seccomp_profile_path ${JSON.stringify(legacy)}`, 'is not a profile berth knows');
  }
  switch (str(p, 'profile_type')) {
    case 'Unconfined':
      return { mode: 'unconfined' };
    case 'Localhost':
      return { mode: 'profile', profile: await readProfile(str(p, 'localhost_ref')) };
    default:
      return { mode: 'default' };
  }
}

async function readProfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return refuse(`seccomp localhost profile ${path}`, 'cannot be read');
  }
}

function mountsOf(config: Msg): { requests: MountRequest[]; view: CriView['mounts'] } {
  const list = Array.isArray(config['mounts']) ? (config['mounts'] as unknown[]) : [];
  const requests: MountRequest[] = [];
  const view: CriView['mounts'] = [];
  for (const raw of list) {
    const m = obj(raw);
    const dest = str(m, 'container_path');
    const src = str(m, 'host_path');
    if (!dest.startsWith('/')) refuse(`mount container_path ${JSON.stringify(dest)}`, 'must be an absolute path');
    if (!src.startsWith('/')) refuse(`mount host_path ${JSON.stringify(src)}`, 'must be an absolute path');
    const prop = str(m, 'propagation') || 'PROPAGATION_PRIVATE';
    const propagation = PROPAGATION[prop];
    if (!propagation) refuse(`mount propagation ${prop}`);
    // selinux_relabel is a no-op where SELinux is off (these hosts), as in containerd.
    requests.push({ type: 'bind', source: src, destination: dest, rw: !bool(m, 'readonly'), mode: '', propagation, copyData: false, createSource: false });
    view.push({ container_path: dest, host_path: src, readonly: bool(m, 'readonly'), selinux_relabel: bool(m, 'selinux_relabel'), propagation: prop });
  }
  return { requests, view };
}

/** LinuxContainerResources over `base`: limits that are set (CRI's 0 is "none"), oom_score_adj always. */
export function resourcesOf(rpc: string, res: Msg, base: ResourceSpec): ResourceSpec {
  if ((Array.isArray(res['hugepage_limits']) && res['hugepage_limits'].length) || Object.keys(map(res, 'unified')).length) {
    throw new InvalidArgument(`${rpc}: resources hugepage_limits and unified are not supported by berth yet`);
  }
  const oom = num(res, 'oom_score_adj');
  if (oom < -1000 || oom > 1000) throw new InvalidArgument(`${rpc}: resources.oom_score_adj ${oom} is outside -1000…1000`);
  const memory = num(res, 'memory_limit_in_bytes');
  const swap = num(res, 'memory_swap_limit_in_bytes');
  return {
    ...base,
    oomScoreAdj: oom,
    // kubelet gives guaranteed pods' containers scores below berthd's own: raised, not refused.
    restrictOomScoreAdj: true,
    ...(memory > 0 ? { memory } : {}),
    ...(swap > 0 ? { memorySwap: swap } : {}),
    ...(num(res, 'cpu_shares') > 0 ? { cpuShares: num(res, 'cpu_shares') } : {}),
    ...(num(res, 'cpu_quota') > 0 ? { cpuQuota: num(res, 'cpu_quota') } : {}),
    ...(num(res, 'cpu_period') > 0 ? { cpuPeriod: num(res, 'cpu_period') } : {}),
    ...(str(res, 'cpuset_cpus') ? { cpusetCpus: str(res, 'cpuset_cpus') } : {}),
    ...(str(res, 'cpuset_mems') ? { cpusetMems: str(res, 'cpuset_mems') } : {}),
  };
}

/**
 * A CRI ContainerConfig onto berth's typed spec, in the pod's namespaces: the pod's network, IPC and
 * UTS (joined by their files), its DNS and sysctls; the log at the path kubelet asked for. A field
 * berth does not run is refused by name.
 */
export async function containerInput(config: unknown, pod: SandboxRecord, imageId: string, namespace: string): Promise<{ input: CreateInput; view: CriView }> {
  const c = obj(config);
  const md = obj(c?.['metadata']);
  if (!c || !md || !str(md, 'name')) throw new InvalidArgument('CreateContainer: the container config has no metadata name');
  const imageRef = str(obj(c['image']), 'image');
  const linux = obj(c['linux']);
  const sc = obj(linux?.['security_context']);
  const res = obj(linux?.['resources']);
  const nso = obj(sc?.['namespace_options']);
  const pidMode = nso ? str(nso, 'pid') : pod.hostPid ? 'NODE' : 'CONTAINER';
  if (pidMode === 'TARGET') refuse('namespace_options.pid TARGET (another container\'s PID namespace)');
  if (pidMode === 'POD' && !pod.namespaces.pid) refuse('namespace_options.pid POD', 'needs a pod sandbox made with namespace_options.pid POD');
  // As containerd: the container's own option decides; a pod without an IPC namespace of its own has the host's.
  const hostIpc = (nso !== null && str(nso, 'ipc') === 'NODE') || !pod.namespaces.ipc;
  const privileged = bool(sc, 'privileged');
  if (privileged && !pod.privileged) refuse('security_context.privileged', 'needs a privileged pod sandbox (linux.security_context.privileged in RunPodSandbox), as kubelet makes for a pod with a privileged container');
  if (obj(sc?.['selinux_options']) && Object.values(obj(sc?.['selinux_options']) ?? {}).some((v) => v)) refuse('selinux_options');
  if (obj(sc?.['apparmor']) && !['', 'Unconfined', 'RuntimeDefault'].includes(str(obj(sc?.['apparmor']), 'profile_type'))) refuse('apparmor localhost profiles');
  if (strings(obj(sc?.['capabilities']), 'add_ambient_capabilities').length) refuse('capabilities.add_ambient_capabilities');
  // kubelet sends its own lists (its defaults, or none for procMount Unmasked, which the wire cannot
  // tell from "not given"): as containerd, a list given is taken as it is, none given keeps the
  // runtime's defaults, and a privileged container has none at all.
  const masked = strings(sc, 'masked_paths');
  const ro = strings(sc, 'readonly_paths');
  for (const p of [...masked, ...ro]) if (!p.startsWith('/')) refuse(`masked_paths and readonly_paths entry ${JSON.stringify(p)}`, 'must be an absolute path');

  const spec = defaultContainerSpec({ network: pod.hostNetwork ? 'host' : '' });
  spec.namespaces.network = pod.hostNetwork ? { mode: 'host' } : { mode: 'path', path: pod.namespaces.net ?? '' };
  spec.networking.network = pod.hostNetwork ? 'host' : '';
  spec.namespaces.ipc = pod.namespaces.ipc && !hostIpc ? { mode: 'path', path: pod.namespaces.ipc } : { mode: 'host' };
  spec.namespaces.uts = { mode: 'path', path: pod.namespaces.uts };
  // In a pod that shares its PID namespace, every container is in it (kubelet asks POD for each).
  if (pidMode === 'NODE') spec.namespaces.pid = { mode: 'host' };
  else if (pod.namespaces.pid) spec.namespaces.pid = { mode: 'path', path: pod.namespaces.pid };
  spec.networking.dns = { ...pod.dns };
  const { requests, view: mountView } = mountsOf(c);
  spec.mounts = requests;
  const devices = Array.isArray(c['devices']) ? (c['devices'] as unknown[]).map(obj) : [];
  spec.security = {
    ...spec.security,
    privileged,
    ...(masked.length ? { maskedPaths: masked } : {}),
    ...(ro.length ? { readonlyPaths: ro } : {}),
    capAdd: strings(obj(sc?.['capabilities']), 'add_capabilities'),
    capDrop: strings(obj(sc?.['capabilities']), 'drop_capabilities'),
    noNewPrivileges: bool(sc, 'no_new_privs'),
    // As containerd: a privileged container runs without a filter, whatever profile was asked for.
    seccomp: privileged ? { mode: 'unconfined' } : await seccompOf(sc),
    devices: devices.map((dv) => ({ pathOnHost: str(dv, 'host_path'), pathInContainer: str(dv, 'container_path'), permissions: str(dv, 'permissions') || 'rwm' })),
    sysctls: { ...pod.sysctls },
    // int64s arrive as decimal strings.
    groupAdd: strings(sc, 'supplemental_groups'),
  };
  if (privileged || str(obj(sc?.['apparmor']), 'profile_type') === 'Unconfined') spec.security.apparmor = 'unconfined';
  spec.rootfs.readOnly = bool(sc, 'readonly_rootfs');
  if (pod.cgroupParent) spec.resources.cgroupParent = pod.cgroupParent;
  // A pod's containers run with its sandbox's runtime (the one its runtime_handler named).
  if (pod.runtime) spec.runtime = pod.runtime;
  if (res) spec.resources = resourcesOf('CreateContainer', res, spec.resources);
  const logPath = pod.logDirectory && str(c, 'log_path') ? join(pod.logDirectory, str(c, 'log_path')) : '';
  // kubelet reads and rotates the log itself (10 MiB by default): berth's own cap sits far above it.
  const options = { 'max-size': '1g', 'max-file': '1' };
  spec.logging = logPath ? { driver: 'k8s-file', path: logPath, options } : { driver: 'k8s-file', options };

  const envs = Array.isArray(c['envs']) ? (c['envs'] as unknown[]).map(obj) : [];
  const command = strings(c, 'command');
  const args = strings(c, 'args');
  const runAs = obj(sc?.['run_as_user']);
  const runAsGroup = obj(sc?.['run_as_group']);
  const user = runAs ? String(num(runAs, 'value')) : str(sc, 'run_as_username');
  // As containerd: a group alone would run the process as root in that group.
  if (runAsGroup && !user) throw new InvalidArgument('CreateContainer: security_context.run_as_group is given without run_as_user or run_as_username');
  const view: CriView = { name: str(md, 'name'), attempt: num(md, 'attempt'), image: imageRef, labels: map(c, 'labels'), annotations: map(c, 'annotations'), logPath, mounts: mountView };
  const m = pod.metadata;
  const input: CreateInput = {
    name: `${view.name}_${m.name}_${m.namespace}_${m.uid}_${view.attempt}`,
    image: imageId,
    ...(command.length ? { entrypoint: command } : {}),
    ...(args.length ? { cmd: args } : {}),
    env: envs.map((e) => `${str(e, 'key')}=${str(e, 'value')}`),
    workingDir: str(c, 'working_dir'),
    user: user && runAsGroup ? `${user}:${num(runAsGroup, 'value')}` : user,
    hostname: pod.hostname || m.name,
    labels: view.labels,
    tty: bool(c, 'tty'),
    openStdin: bool(c, 'stdin'),
    stdinOnce: bool(c, 'stdin_once'),
    spec,
    views: { cri: view as unknown as Record<string, unknown> },
    namespace,
    pod: pod.id,
  };
  return { input, view };
}
