import { randomBytes } from 'node:crypto';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerConfig, ContainerRecord, HostConfig } from '../../core/metadata/index.js';
import type { ImageRuntimeConfig } from './ports.js';
import { mergeHealth, type HealthConfig } from './health.js';
import type { LinkRequest } from './links.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** What a create request asks for, camelCase; fields left undefined come from the image. */
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
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  exposedPorts?: Record<string, object>;
  volumes?: Record<string, object>;
  healthcheck?: HealthConfig;
  consoleSize?: { height: number; width: number };
  /** NetworkingConfig.EndpointsConfig by network name: aliases, static IP, MAC. */
  endpoints?: Record<string, { aliases?: string[]; ip?: string; mac?: string; links?: LinkRequest[] }>;
  /** HostConfig.Links (--link): legacy links on the default bridge, name resolution on a user network. */
  links?: LinkRequest[];
  hostConfig: Partial<Omit<HostConfig, 'raw' | 'links'>> & { raw: Record<string, unknown> };
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
  const config: ContainerConfig = {
    hostname: input.hostname || id.slice(0, 12),
    domainname: input.domainname ?? '',
    // An empty User in a create request (what the docker CLI sends) means the image's user.
    user: input.user || ic.User || '',
    attachStdin: input.attachStdin ?? false,
    attachStdout: input.attachStdout ?? false,
    attachStderr: input.attachStderr ?? false,
    tty: input.tty ?? false,
    openStdin: input.openStdin ?? false,
    stdinOnce: input.stdinOnce ?? false,
    env: mergeEnv(ic.Env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], input.env ?? []),
    cmd,
    entrypoint,
    image: input.image,
    workingDir: input.workingDir || ic.WorkingDir || '',
    labels: { ...(ic.Labels ?? {}), ...(input.labels ?? {}) },
    stopSignal: input.stopSignal || ic.StopSignal || 'SIGTERM',
    stopTimeout: input.stopTimeout ?? null,
    exposedPorts: { ...(ic.ExposedPorts ?? {}), ...(input.exposedPorts ?? {}) },
    volumes: { ...(ic.Volumes ?? {}), ...(input.volumes ?? {}) },
  };
  const health = mergeHealth(ic.Healthcheck ?? undefined, input.healthcheck);
  if (health) config.healthcheck = health;
  if (input.consoleSize && input.tty) config.consoleSize = input.consoleSize;
  const hc = input.hostConfig;
  const hostConfig: HostConfig = {
    autoRemove: hc.autoRemove ?? false,
    networkMode: hc.networkMode || 'default',
    binds: hc.binds ?? [],
    privileged: hc.privileged ?? false,
    readonlyRootfs: hc.readonlyRootfs ?? false,
    capAdd: hc.capAdd ?? [],
    capDrop: hc.capDrop ?? [],
    restartPolicy: hc.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
    portBindings: hc.portBindings ?? {},
    // Reported as json-file: docker-py and compose read logs only from drivers they know can be read.
    logType: hc.logType || 'json-file',
    ...(hc.logOpts ? { logOpts: hc.logOpts } : {}),
    ...(hc.deviceCgroupRules?.length ? { deviceCgroupRules: hc.deviceCgroupRules } : {}),
    ...(hc.extraHosts?.length ? { extraHosts: hc.extraHosts } : {}),
    ...(hc.shmSize ? { shmSize: hc.shmSize } : {}),
    raw: hc.raw,
  };
  return {
    id,
    name,
    created: new Date().toISOString(),
    imageId: image.id,
    path: argv[0] as string,
    args: argv.slice(1),
    config,
    hostConfig,
    state: { status: 'created', pid: 0, exitCode: 0, oomKilled: false, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
    restartCount: 0,
    layers: image.chainIds,
    driver,
  };
}
