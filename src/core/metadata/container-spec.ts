/*
 * ContainerSpec: what a container is, in berth's own words, whatever front end asked for it.
 *
 * It lives here, beside the container record that stores it, because the record is the lowest place
 * that holds one (core/metadata may import nothing above it); services/containers re-exports it for
 * the front ends. The Docker dialect (server/engine/dialect/) turns an Engine API create body into
 * one and renders inspect from it; a CRI front end builds one from a CRI ContainerConfig. Nothing in
 * here is a Docker wire name: every field is checked and defaulted by the front end before it lands.
 *
 * It is the one type of everything a container is: its process (argv, env, cwd, user, terminal,
 * stdin), rootfs, mounts and declared volumes, resources, security, namespaces, networking (host name
 * and exposed ports too), logging, lifecycle (restart policy, stop signal and timeout, auto-remove,
 * init, healthcheck), labels and annotations. The image's config is merged in at create (entrypoint
 * and cmd, env, user, working directory, labels, stop signal, healthcheck, exposed ports, volumes),
 * so nothing below server/ needs the request or the image's config again. A front end's own spelling
 * of the request that changes nothing (Docker's AttachStdout, a bind written `v:/d/`) is kept beside
 * it as the record's opaque `views`, never here.
 */

import type { ImageHealth } from '../../oci/index.js';

/** What the container runs: its first process. */
export interface ProcessSpec {
  /** The argv: the entrypoint's words, then the command's (never empty). */
  args: string[];
  /**
   * The argv split as an image config declares it (null: unset, [] set to nothing): what a commit
   * gives the new image. `args` is their concatenation.
   */
  entrypoint: string[] | null;
  command: string[] | null;
  /** `NAME=value`, the image's merged with the request's (the request's win). */
  env: string[];
  /** The working directory ('' = the root). */
  cwd: string;
  /** `user[:group]`, names or numbers ('' = root), resolved in the container's /etc/passwd at start. */
  user: string;
  /** Runs on a terminal (a pty). */
  terminal: boolean;
  /** stdin kept open for an attach; `once`: closed when the first attached client detaches. */
  stdin: { open: boolean; once: boolean };
  /** The terminal's size at start (rows x columns), when a terminal was asked for with one. */
  consoleSize?: { height: number; width: number };
}

/** A healthcheck, in the same words as an image's (oci's ImageHealth). */
export type HealthSpec = ImageHealth;


/**
 * How a container gets one kind of namespace: its own, the host's, or another container's (or a pod
 * sandbox's, which is a container too). Modes berth does not run are refused by the front ends.
 */
export interface NamespaceSpec {
  mode: 'private' | 'host' | 'container' | 'path';
  /** mode 'container': the id or name of the container whose namespace is joined. */
  target?: string;
  /** mode 'path': a namespace file (a pod sandbox's bind-mounted one) that the container joins. */
  path?: string;
}

/** One mount a create asks for, before volumes are created and sources checked. */
export interface MountRequest {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Bind: absolute host path. Volume: its name, '' for a new anonymous volume. Tmpfs: ''. */
  source: string;
  destination: string;
  rw: boolean;
  /** The mode text of a short-syntax mount (`ro,z`), shown back as its Mode. */
  mode: string;
  propagation: string;
  nonRecursive?: boolean;
  copyData: boolean;
  subpath?: string;
  /** tmpfs options (size=…, mode=…, flags). */
  options?: string[];
  /** Labels and driver options for a volume this mount creates. */
  volumeLabels?: Record<string, string>;
  volumeOptions?: Record<string, string>;
  volumeDriver?: string;
  /** Short-syntax binds create a missing host directory; long-syntax ones require it to exist. */
  createSource?: boolean;
  /** Asked for with the long syntax (a mount object), which inspect reports differently. */
  fromMountsApi?: boolean;
}

/** One --device-cgroup-rule (`c 42:* rwm`): an allow rule for the device cgroup; absent numbers mean any. */
export interface DeviceCgroupRule {
  type: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  /** Some of 'rwm'. */
  access: string;
}

/** A host device made visible in the container. */
export interface DeviceSpec {
  pathOnHost: string;
  pathInContainer: string;
  /** Some of 'rwm'. */
  permissions: string;
}

/**
 * One device request (Docker's --gpus, or --device with a CDI name): `driver` 'cdi' names CDI devices
 * in deviceIds; otherwise a driver ('' = any) and capabilities select devices, `count` -1 meaning all.
 */
export interface DeviceRequest {
  driver: string;
  count: number;
  deviceIds: string[];
  capabilities: string[][];
  options: Record<string, string>;
}

export interface PortBinding {
  hostIp: string;
  hostPort: string;
}

/** cgroup limits and process limits; absent: no limit. Checked by the front end (memory ≥ 6 MB …). */
export interface ResourceSpec {
  memory?: number;
  /** Memory + swap; -1: unlimited swap. */
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  /** CPUs in billionths (`--cpus 0.5` = 5e8): a quota over a 100 ms period. Excludes cpuQuota/cpuPeriod. */
  nanoCpus?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  /** Memory nodes the container may allocate on (cpuset.mems), as asked (`0-1,3`). */
  cpusetMems?: string;
  /** 0..100: the memory cgroup's swappiness (cgroup v1); absent: the parent's (Docker's -1). */
  memorySwappiness?: number;
  /** As asked; only a positive value limits. */
  pidsLimit?: number;
  ulimits: { name: string; soft: number; hard: number }[];
  /** /dev/shm in bytes; absent: 64 MiB. */
  shmSize?: number;
  /**
   * The cgroup (a cgroupfs path) the container's own is made under: `--cgroup-parent`, the daemon's
   * default, or kubelet's pod cgroup; absent: /berth. A relative path is rooted as an absolute one.
   */
  cgroupParent?: string;
  /** The process's OOM score adjustment, -1000..1000 (absent: inherited, 0). */
  oomScoreAdj?: number;
  /**
   * An oomScoreAdj below what berthd may give is raised to it, as containerd's CRI does
   * (restrict_oom_score_adj), rather than refused as the Docker API refuses it.
   */
  restrictOomScoreAdj?: boolean;
  /** The memory cgroup does not OOM-kill (cgroup v1 only). */
  oomKillDisable?: boolean;
  /** Real-time scheduling budget, microseconds per period (cgroup v1 cpu.rt_*). */
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  /** Block I/O: a relative weight (10..1000), per-device weights and throttles; devices by host path. */
  blkio?: BlkioSpec;
}

export interface BlkioSpec {
  weight?: number;
  weightDevices: { path: string; weight: number }[];
  /** Bytes or operations per second, per device. */
  readBps: { path: string; rate: number }[];
  writeBps: { path: string; rate: number }[];
  readIops: { path: string; rate: number }[];
  writeIops: { path: string; rate: number }[];
}

export type SeccompSpec =
  /** The daemon's default profile. */
  | { mode: 'default' }
  | { mode: 'unconfined' }
  /** A profile in the OCI/Docker seccomp JSON format, as text (checked at create). */
  | { mode: 'profile'; profile: string };

export interface SecuritySpec {
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  seccomp: SeccompSpec;
  /** AppArmor profile: only 'unconfined' can be asked for on these hosts (absent: none). */
  apparmor?: 'unconfined';
  devices: DeviceSpec[];
  /** Device requests as asked (absent in records older than them: none). */
  deviceRequests?: DeviceRequest[];
  /** The CDI devices (`vendor/class=name`) the requests came to at create; injected at each start. */
  cdiDevices?: string[];
  deviceCgroupRules: DeviceCgroupRule[];
  sysctls: Record<string, string>;
  /** Supplementary groups: numeric gids or group names of the container's /etc/group. */
  groupAdd: string[];
  /** The paths masked and made read-only (CRI's own lists); absent: the runtime's defaults. None when privileged. */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** One legacy link: the parent sees `targetId` as `alias` (link name /parent/alias). */
export interface ContainerLink {
  targetId: string;
  alias: string;
}

export interface NetworkingSpec {
  /** The container's host name (a create without one gets its id's first 12 characters) and NIS domain. */
  hostname: string;
  domainname: string;
  /** The ports it says it listens on ("80/tcp"), the image's then the request's: what publish-all and links use. */
  exposedPorts: string[];
  /**
   * The network a private network namespace is attached to: 'default' (the daemon's default
   * bridge), a network's name or id, or 'none' (loopback only). 'host' when namespaces.network is
   * the host's; '' when it is another container's.
   */
  network: string;
  /** Published ports: "80/tcp" → host addresses ('' = any, random port). */
  portBindings: Record<string, PortBinding[]>;
  /** Publish every exposed port on a random host port. */
  publishAll: boolean;
  dns: { servers: string[]; search: string[]; options: string[] };
  /** Extra /etc/hosts entries as `host:ip`. */
  extraHosts: string[];
  /** Legacy links on the default bridge: the target by id, so a rename keeps the link. */
  links?: ContainerLink[];
}

export interface LoggingSpec {
  /**
   * json-file, local, syslog, journald (fed by berthd from conmon's log), k8s-file (conmon's log
   * itself) or none; '' only between a front end and the create, which puts in the daemon's.
   */
  driver: string;
  /**
   * Options as the client gave them (over the daemon's, for its driver); the default cap applies at
   * use, not here.
   */
  options?: Record<string, string>;
  /** The log file at a path the front end chose (kubelet's, under the pod's log directory); absent: the container's folder. */
  path?: string;
}

export interface LifecycleSpec {
  restartPolicy: { name: 'no' | 'always' | 'on-failure' | 'unless-stopped'; maximumRetryCount: number };
  /** Removed (with its anonymous volumes) when it exits. */
  autoRemove: boolean;
  /** Run a small init (tini) as pid 1 that reaps zombies and forwards signals. */
  init: boolean;
  /** What stop sends first (a name, `SIGTERM`, or a number) and how many seconds it waits before SIGKILL (absent: 10). */
  stopSignal: string;
  stopTimeout?: number;
  healthcheck?: HealthSpec;
}

export interface ContainerSpec {
  process: ProcessSpec;
  /** The OCI runtime by the daemon's name for it (absent in records older than the choice: runc). */
  runtime?: string;
  /** `image`: the image as the create named it (its id is the record's imageId). */
  rootfs: {
    image: string;
    readOnly: boolean;
    /** The storage driver's options as the create gave them (Docker's --storage-opt), shown back by inspect. */
    driverOptions?: Record<string, string>;
    /** The writable layer's size limit in bytes (--storage-opt size=), set when the layer is made. */
    sizeLimit?: number;
  };
  /** In precedence order (short-syntax binds, mount objects, then tmpfs); destinations unique. */
  mounts: MountRequest[];
  /**
   * Paths that get an anonymous volume unless a mount covers them: the image's VOLUMEs, then the
   * request's own (a `host:dest` entry here is a bind, already among the mounts).
   */
  volumes: string[];
  /** Containers whose mounts this one gets (`rw` absent: as they have them). */
  volumesFrom: { container: string; rw?: boolean }[];
  resources: ResourceSpec;
  security: SecuritySpec;
  namespaces: {
    /** 'host': the host's network; 'container': another container's (its endpoints, ports, /etc files). */
    network: NamespaceSpec;
    /** 'private' may be joined by others when `shareable`; `noShm`: no /dev/shm at all (Docker's "none"). */
    ipc: NamespaceSpec & { shareable?: boolean; noShm?: boolean };
    /** 'host' opts out of the daemon's user-namespace remapping. */
    user: NamespaceSpec;
    /** 'private' or 'host' (no 'container'). */
    cgroup: NamespaceSpec;
    /** 'container': the target is the other container's id (resolved at create). */
    pid: NamespaceSpec;
    /** 'private' or 'host'. */
    uts: NamespaceSpec;
  };
  networking: NetworkingSpec;
  logging: LoggingSpec;
  lifecycle: LifecycleSpec;
  /** The image's labels merged with the request's (the request's win). */
  labels: Record<string, string>;
  /** OCI annotations, written into the runtime spec (docker run --annotation, CRI annotations). */
  annotations: Record<string, string>;
}

/**
 * The part of a spec a front end decides alone, before the image is known: the spec without what
 * the image's config contributes (the process, labels, volumes, the image itself, the host name,
 * exposed ports, stop signal and healthcheck), which the container service merges in at create.
 */
export type CreateSpec = Omit<ContainerSpec, 'process' | 'labels' | 'volumes' | 'rootfs' | 'networking' | 'lifecycle'> & {
  rootfs: Omit<ContainerSpec['rootfs'], 'image'>;
  networking: Omit<NetworkingSpec, 'hostname' | 'domainname' | 'exposedPorts'>;
  lifecycle: Omit<LifecycleSpec, 'stopSignal' | 'stopTimeout' | 'healthcheck'>;
};
