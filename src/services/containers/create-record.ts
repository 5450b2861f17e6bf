import { randomBytes } from 'node:crypto';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord, ContainerSpec, CreateSpec, HealthSpec } from '../../core/metadata/index.js';
import type { ImageRuntimeConfig } from './ports.js';
import { imageHealth } from '../../oci/index.js';
import { mergeHealth } from './health.js';
import type { LinkRequest } from './links.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * What a create request asks for: the process side as the request gives it (fields left undefined
 * come from the image's config, merged in at create into the record's spec), and the rest as a spec.
 */
export interface CreateInput {
  name?: string;
  image: string;
  cmd?: string[] | null;
  entrypoint?: string[] | null;
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  openStdin?: boolean;
  stdinOnce?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  /** Ports ("80/tcp") and volume paths the request declares beside the image's. */
  exposedPorts?: string[];
  volumes?: string[];
  healthcheck?: HealthSpec;
  consoleSize?: { height: number; width: number };
  /** NetworkingConfig.EndpointsConfig by network name: aliases, static IP, MAC. */
  endpoints?: Record<string, { aliases?: string[]; ip?: string; ip6?: string; linkLocalIps?: string[]; mac?: string; links?: LinkRequest[] }>;
  /** Legacy links (--link): on the default bridge, resolved to ids at create; on a user network, names only the container resolves. */
  links?: LinkRequest[];
  /** The create named no cgroup namespace mode: the daemon's default (default-cgroupns-mode) replaces spec.namespaces.cgroup. */
  cgroupnsUnset?: boolean;
  /** The create named no IPC mode: the daemon's default-ipc-mode (private or shareable) applies. */
  ipcUnset?: boolean;
  /** Everything else, checked and defaulted by the front end (links are resolved here, into spec.networking.links). */
  spec: CreateSpec;
  /** The front end's own view of the request, stored with the record and never read below server/. */
  views?: Record<string, Record<string, unknown>>;
  /** The store namespace it lives in (absent: Docker's) and its pod sandbox (CRI). */
  namespace?: string;
  pod?: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME_RE.test(n)) throw new InvalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return n;
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'proud', 'quiet', 'swift', 'witty', 'zen'];
const NOUNS = ['anchor', 'buoy', 'cove', 'dock', 'ferry', 'harbor', 'jetty', 'keel', 'mast', 'pier', 'quay', 'rudder', 'sail', 'tide', 'wharf', 'yacht'];

/** A docker-like generated name ("swift_harbor"), with a suffix when taken. */
export function generateName(taken: (n: string) => boolean): string {
  for (let i = 0; ; i++) {
    const b = randomBytes(2);
    const base = `${ADJECTIVES[(b[0] ?? 0) % ADJECTIVES.length]}_${NOUNS[(b[1] ?? 0) % NOUNS.length]}`;
    const name = i < 8 ? base : `${base}${i}`;
    if (!taken(name)) return name;
  }
}

/** Later entries win for the same variable name, as Docker merges image and request env. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const kv of [...base, ...extra]) {
    const eq = kv.indexOf('=');
    out.set(eq < 0 ? kv : kv.slice(0, eq), kv);
  }
  return [...out.values()];
}

export function newContainerRecord(
  input: CreateInput,
  image: { id: string; chainIds: string[]; config: ImageRuntimeConfig },
  name: string,
  driver: string,
): ContainerRecord {
  const id = randomBytes(32).toString('hex');
  const ic = image.config;
  // An entrypoint in the request replaces the image's entrypoint AND its cmd, as in Docker.
  const entrypoint = input.entrypoint !== undefined ? input.entrypoint : (ic.Entrypoint ?? null);
  const cmd =
    input.cmd !== undefined && input.cmd !== null && input.cmd.length > 0
      ? input.cmd
      : input.entrypoint !== undefined
        ? null
        : (ic.Cmd ?? null);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0 || argv[0] === '') throw new InvalidArgument('No command specified');
  const health = mergeHealth(imageHealth(ic.Healthcheck), input.healthcheck);
  const { rootfs, networking, lifecycle, ...rest } = structuredClone(input.spec);
  const spec: ContainerSpec = {
    process: {
      args: argv,
      entrypoint,
      command: cmd,
      env: mergeEnv(ic.Env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], input.env ?? []),
      cwd: input.workingDir || ic.WorkingDir || '',
      // An empty User in a create request (what the docker CLI sends) means the image's user.
      user: input.user || ic.User || '',
      terminal: input.tty ?? false,
      stdin: { open: input.openStdin ?? false, once: input.stdinOnce ?? false },
      ...(input.consoleSize && input.tty ? { consoleSize: input.consoleSize } : {}),
    },
    ...rest,
    rootfs: { image: input.image, ...rootfs },
    volumes: union(Object.keys(ic.Volumes ?? {}), input.volumes ?? []),
    networking: {
      hostname: input.hostname || id.slice(0, 12),
      domainname: input.domainname ?? '',
      exposedPorts: union(Object.keys(ic.ExposedPorts ?? {}), input.exposedPorts ?? []),
      ...networking,
    },
    lifecycle: {
      ...lifecycle,
      stopSignal: input.stopSignal || ic.StopSignal || 'SIGTERM',
      ...(input.stopTimeout !== undefined ? { stopTimeout: input.stopTimeout } : {}),
      ...(health ? { healthcheck: health } : {}),
    },
    labels: { ...(ic.Labels ?? {}), ...(input.labels ?? {}) },
  };
  return {
    id,
    name,
    created: new Date().toISOString(),
    imageId: image.id,
    spec,
    ...(input.views ? { views: input.views } : {}),
    ...(input.namespace ? { namespace: input.namespace } : {}),
    ...(input.pod ? { pod: input.pod } : {}),
    state: { status: 'created', pid: 0, exitCode: 0, oomKilled: false, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
    restartCount: 0,
    layers: image.chainIds,
    driver,
  };
}

/** The keys of `a`, then those of `b` not among them (as object keys merge). */
function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** A spec that asks for nothing: what a container gets when its front end sets no option (build steps use it). */
export function defaultContainerSpec(net: { network?: string | undefined; extraHosts?: string[] | undefined; shmSize?: number | undefined } = {}): CreateSpec {
  return {
    rootfs: { readOnly: false },
    mounts: [],
    volumesFrom: [],
    resources: { ulimits: [], ...(net.shmSize ? { shmSize: net.shmSize } : {}) },
    security: { privileged: false, capAdd: [], capDrop: [], noNewPrivileges: false, seccomp: { mode: 'default' }, devices: [], deviceCgroupRules: [], sysctls: {}, groupAdd: [] },
    namespaces: { network: net.network === 'host' ? { mode: 'host' } : { mode: 'private' }, ipc: { mode: 'private' }, user: { mode: 'private' }, cgroup: { mode: 'host' }, pid: { mode: 'private' }, uts: { mode: 'private' } },
    networking: { network: net.network || 'default', portBindings: {}, publishAll: false, dns: { servers: [], search: [], options: [] }, extraHosts: net.extraHosts ?? [] },
    logging: { driver: 'json-file' },
    lifecycle: { restartPolicy: { name: 'no', maximumRetryCount: 0 }, autoRemove: false, init: false },
    annotations: {},
  };
}
