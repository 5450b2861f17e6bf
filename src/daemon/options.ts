import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_CERTS_DIRS, DEFAULT_UPLOAD_POLICY } from '../core/remotes/index.js';
import { checkCgroupParent, checkLogConfig } from '../services/index.js';
import { InvalidArgument } from '../errdefs/index.js';
import { ramInBytes } from '../api/index.js';
import { DEFAULT_POOLS } from '../core/network/index.js';
import { criOptions, normalizeCriFlag, type CriOptions } from './cri-options.js';
import { RUNTIME_DIRECTIVES, RUNTIME_FLAGS, RUNTIME_USAGE, runtimeOptions, type RuntimeOptions } from './runtime-options.js';

export interface DaemonOptions extends RuntimeOptions {
  socketPath: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  storageDriver: 'auto' | 'overlay' | 'copy';
  /** --storage-opt overlay2.size= / daemon.json `storage-opts`: the size limit of every new writable layer that names none. */
  defaultLayerSize?: number;
  runtimePath: string;
  conmonPath: string;
  /** Registry mirrors per domain (daemon.json `registry-mirrors`: a list for docker.io, or {domain: [mirrors]}). */
  registryMirrors: Record<string, string[]>;
  /** daemon.json `insecure-registries` (127.0.0.0/8 is always insecure). */
  insecureRegistries: string[];
  /** `--max-concurrent-downloads` or daemon.json `max-concurrent-downloads` (also used for uploads); default 3. */
  maxConcurrentDownloads: number;
  /** --userns-remap / daemon.json `userns-remap`: default|USER[:GROUP]|UID[:GID]; '' = containers share the host's ids. */
  usernsRemap: string;
  /** --seccomp-profile / daemon.json `seccomp-profile`: builtin, unconfined, or a profile file in Docker's format. */
  seccompProfile: string;
  /** `--max-concurrent-uploads` / daemon.json `max-concurrent-uploads`: layers pushed at once; default 5 as Docker. */
  maxConcurrentUploads: number;
  /**
   * berth's own daemon.json keys `push-chunk-threshold` and `push-chunk-size` (bytes): blobs from the
   * threshold on are pushed in PATCH chunks of that size; a threshold of 0 pushes every blob in one PUT.
   */
  pushChunkThreshold: number;
  pushChunkSize: number;
  /** Per-registry TLS files (`<dir>/<host:port>/ca.crt`, client.cert, client.key); BERTH_CERTS_DIRS (colon-separated) overrides. */
  certsDirs: string[];
  /** The default bridge network's Linux bridge (-b/--bridge, daemon.json `bridge`); default berth0. */
  bridge: string;
  /** Its address and prefix (--bip, daemon.json `bip`); default 172.17.0.1/16. */
  bip: string;
  /** IPv6 on the default bridge (--ipv6, daemon.json `ipv6`), with its subnet (--fixed-cidr-v6, `fixed-cidr-v6`). */
  ipv6: boolean;
  fixedCidrV6?: string;
  /** NAT66 and IPv6 port rules with ip6tables (daemon.json `ip6tables`); dockerd 28's default is true. */
  ip6tables: boolean;
  /** Subnets for networks created without --subnet (--default-address-pool, daemon.json `default-address-pools`). */
  defaultAddressPools: { base: string; size: number }[];
  /** Where the CNI plugins are (BERTH_CNI_PATH); default /usr/lib/cni. */
  cniPath: string;
  /** Default log driver of new containers (`--log-driver`, daemon.json `log-driver`); default json-file. */
  logDriver: string;
  /** Default log options of new containers (`--log-opt`, daemon.json `log-opts`), for the default driver. */
  logOpts: Record<string, string>;
  /** The Kubernetes CRI server (--cri, --cri-socket, daemon.json `cri`). */
  cri: CriOptions;
  /** --default-cgroupns-mode / daemon.json `default-cgroupns-mode`: the cgroup namespace of containers that name none (absent: the host's on cgroup v1, private on v2). */
  defaultCgroupnsMode?: 'host' | 'private';
  /** --cgroup-parent / daemon.json `cgroup-parent`: the parent cgroup of Docker containers that name none (absent: /berth). */
  cgroupParent?: string;
  /** --default-ipc-mode / daemon.json `default-ipc-mode`: the IPC mode of containers that name none (absent: private, as dockerd). */
  defaultIpcMode?: 'private' | 'shareable';
  /** --experimental / daemon.json `experimental`: the experimental endpoints (checkpoint and restore); off by default, as dockerd. */
  experimental: boolean;
}

export const DEFAULTS = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
};

const USAGE = `Usage:	berthd [OPTIONS]

A container engine that serves the Docker Engine API

Options:
      --config-file string     Daemon configuration file (default "${DEFAULTS.configFile}")
      --data-root string       Root directory of persistent berth state (default "${DEFAULTS.dataRoot}")
      --exec-root string       Root directory for execution state files (default "${DEFAULTS.execRoot}")
  -H, --host string            Daemon socket to listen on (default unix://<exec-root>/berth.sock)
  -l, --log-level string       Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-driver string      Default driver for container logs: json-file, local, syslog, journald, k8s-file, none (default "json-file")
      --log-opt map            Default log driver options for containers (default max-size=20m, max-file=5)
  -D, --debug                  Enable debug mode
      --experimental           Enable experimental features (checkpoint and restore)
      --max-concurrent-downloads int
                               Set the max concurrent downloads (default 3)
  -p, --pidfile string         Path to use for daemon PID file (default "<exec-root>/berthd.pid")
  -s, --storage-driver string  Storage driver to use ("overlay"|"copy"|"auto") (default "auto")
      --storage-opt list       Storage driver options (overlay2.size=SIZE: the default size of writable layers)
      --userns-remap string    User/Group setting for user namespaces ("default"|USER[:GROUP]|UID[:GID])
      --default-cgroupns-mode string  Default mode for containers cgroup namespace ("host" | "private")
      --default-ipc-mode string       Default mode for containers ipc ("shareable" | "private")
      --cgroup-parent string   Set parent cgroup for all containers (default "/berth")
${RUNTIME_USAGE}      --seccomp-profile string Path to the default seccomp profile, or "unconfined" (default "builtin")
      --max-concurrent-uploads int  Set the max concurrent uploads (default 5)
  -b, --bridge string          Linux bridge of the default bridge network (default "berth0")
      --bip string             Address and prefix of the default bridge network (default "172.17.0.1/16")
      --default-address-pool   Default address pool for user networks, e.g. base=10.10.0.0/16,size=24 (repeatable)
      --cri-socket string      CRI (Kubernetes) socket to listen on (default "<exec-root>/cri.sock")
      --cri=false              Do not serve the CRI (default true)
  -v, --version                Print version information and quit
  -h, --help                   Print usage
`;

export function usage(): string {
  return USAGE;
}

/** Parses dockerd-style flags, then fills the gaps from daemon.json and the environment. */
export async function loadOptions(argv: string[], env: NodeJS.ProcessEnv): Promise<DaemonOptions | 'help' | 'version'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeCriFlag(argv),
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        pidfile: { type: 'string', short: 'p' },
        'config-file': { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        'log-opt': { type: 'string', multiple: true },
        'log-driver': { type: 'string' },
        debug: { type: 'boolean', short: 'D' },
        experimental: { type: 'boolean' },
        'storage-driver': { type: 'string', short: 's' },
        'storage-opt': { type: 'string', multiple: true },
        'userns-remap': { type: 'string' },
        'default-cgroupns-mode': { type: 'string' },
        'default-ipc-mode': { type: 'string' },
        'cgroup-parent': { type: 'string' },
        'seccomp-profile': { type: 'string' },
        ...RUNTIME_FLAGS,
        'max-concurrent-uploads': { type: 'string' },
        bridge: { type: 'string', short: 'b' },
        bip: { type: 'string' },
        ipv6: { type: 'boolean' },
        'fixed-cidr-v6': { type: 'string' },
        'default-address-pool': { type: 'string', multiple: true },
        'max-concurrent-downloads': { type: 'string' },
        cri: { type: 'string' },
        'cri-socket': { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new InvalidArgument((e as Error).message, { cause: e });
  }
  const f = parsed.values;
  if (f.help) return 'help';
  if (f.version) return 'version';
  const configFile = f['config-file'] ?? env['BERTH_CONFIG_FILE'] ?? DEFAULTS.configFile;
  const file = await readDaemonJson(configFile, f['config-file'] !== undefined);
  checkDirectives(configFile, file, f);
  const pick = (flag: string | undefined, key: string, envName: string, dflt: string): string => {
    const fromFile = file[key];
    return flag ?? env[envName] ?? (typeof fromFile === 'string' ? fromFile : undefined) ?? dflt;
  };
  const dataRoot = pick(f['data-root'], 'data-root', 'BERTH_DATA_ROOT', DEFAULTS.dataRoot);
  const execRoot = pick(f['exec-root'], 'exec-root', 'BERTH_EXEC_ROOT', DEFAULTS.execRoot);
  const hosts = f.host ?? (Array.isArray(file['hosts']) ? (file['hosts'] as string[]) : undefined);
  const host = hosts?.[0] ?? env['BERTH_HOST'] ?? `unix://${execRoot}/berth.sock`;
  if (hosts && hosts.length > 1) throw new InvalidArgument('berthd listens on one socket; give -H once');
  if (!host.startsWith('unix://')) throw new InvalidArgument(`unsupported host ${host}: berthd listens on unix:// sockets only`);
  const level = f.debug || file['debug'] === true ? 'debug' : pick(f['log-level'], 'log-level', 'BERTH_LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(level)) throw new InvalidArgument(`unable to parse logging level: ${level}`);
  const driver = pick(f['storage-driver'], 'storage-driver', 'BERTH_STORAGE_DRIVER', 'auto');
  const driverName = driver === 'overlay2' ? 'overlay' : driver === 'vfs' ? 'copy' : driver;
  if (!['auto', 'overlay', 'copy'].includes(driverName)) throw new InvalidArgument(`unknown storage driver ${driver}: use overlay, copy or auto`);
  const cgroupns = f['default-cgroupns-mode'] ?? file['default-cgroupns-mode'];
  if (cgroupns !== undefined && cgroupns !== 'host' && cgroupns !== 'private') throw new InvalidArgument(`default cgroup namespace mode (${JSON.stringify(cgroupns)}) is invalid: use "host" or "private"`);
  const ipc = f['default-ipc-mode'] ?? file['default-ipc-mode'];
  if (ipc !== undefined && ipc !== 'private' && ipc !== 'shareable') throw new InvalidArgument(`default IPC mode (${JSON.stringify(ipc)}) is invalid: use "private" or "shareable"`);
  const cgroupParent = f['cgroup-parent'] ?? file['cgroup-parent'];
  if (cgroupParent !== undefined && typeof cgroupParent !== 'string') throw new InvalidArgument('daemon.json: cgroup-parent must be a string');
  if (cgroupParent) checkCgroupParent(cgroupParent, f['cgroup-parent'] !== undefined ? '--cgroup-parent' : 'daemon.json cgroup-parent');
  const remap = f['userns-remap'] ?? file['userns-remap'] ?? '';
  const logDriver = pick(f['log-driver'], 'log-driver', 'BERTH_LOG_DRIVER', 'json-file');
  if (typeof remap !== 'string') throw new InvalidArgument('daemon.json: userns-remap must be a string');
  if (file['experimental'] !== undefined && typeof file['experimental'] !== 'boolean') throw new InvalidArgument('daemon.json: experimental must be true or false');
  for (const k of ['ipv6', 'ip6tables']) if (file[k] !== undefined && typeof file[k] !== 'boolean') throw new InvalidArgument(`daemon.json: ${k} must be true or false`);
  const ipv6 = f.ipv6 === true || file['ipv6'] === true;
  const fixedCidrV6 = f['fixed-cidr-v6'] ?? (typeof file['fixed-cidr-v6'] === 'string' ? file['fixed-cidr-v6'] : undefined);
  if (file['fixed-cidr-v6'] !== undefined && typeof file['fixed-cidr-v6'] !== 'string') throw new InvalidArgument('daemon.json: fixed-cidr-v6 must be a string');
  // dockerd's rule for the default bridge: IPv6 there needs its subnet.
  if (ipv6 && !fixedCidrV6) throw new InvalidArgument('IPv6 is enabled for the default bridge, but no subnet is configured. Specify an IPv6 subnet using --fixed-cidr-v6');
  return {
    socketPath: host.slice('unix://'.length),
    dataRoot,
    execRoot,
    pidfile: pick(f.pidfile, 'pidfile', 'BERTH_PIDFILE', `${execRoot}/berthd.pid`),
    logLevel: level as DaemonOptions['logLevel'],
    storageDriver: driverName as DaemonOptions['storageDriver'],
    ...storageOptions(f['storage-opt'], file['storage-opts']),
    runtimePath: env['BERTH_RUNC'] ?? '/usr/sbin/runc',
    ...runtimeOptions(file, f, env['BERTH_RUNC'] ?? '/usr/sbin/runc'),
    conmonPath: env['BERTH_CONMON'] ?? '/usr/bin/conmon',
    usernsRemap: remap,
    seccompProfile: pick(f['seccomp-profile'], 'seccomp-profile', 'BERTH_SECCOMP_PROFILE', 'builtin'),
    ...registryOptions(file, f['max-concurrent-downloads'], f['max-concurrent-uploads']),
    certsDirs: env['BERTH_CERTS_DIRS'] ? env['BERTH_CERTS_DIRS'].split(':').filter(Boolean) : [...DEFAULT_CERTS_DIRS],
    bridge: pick(f.bridge, 'bridge', 'BERTH_BRIDGE', 'berth0'),
    bip: pick(f.bip, 'bip', 'BERTH_BIP', '172.17.0.1/16'),
    ipv6,
    ...(ipv6 && fixedCidrV6 ? { fixedCidrV6 } : {}),
    ip6tables: file['ip6tables'] !== false,
    defaultAddressPools: addressPools(f['default-address-pool'], file['default-address-pools']),
    cniPath: env['BERTH_CNI_PATH'] ?? '/usr/lib/cni',
    logDriver,
    logOpts: logOptions(f['log-opt'], file['log-opts'], logDriver),
    cri: criOptions(file['cri'], f, execRoot, configFile),
    ...(cgroupns ? { defaultCgroupnsMode: cgroupns } : {}),
    ...(ipc ? { defaultIpcMode: ipc } : {}),
    ...(cgroupParent ? { cgroupParent } : {}),
    experimental: f.experimental === true || file['experimental'] === true,
  };
}

/** Every daemon.json key berthd reads, with the flag that sets the same option (null: the file only). */
const DIRECTIVES: Record<string, string | null> = {
  'data-root': 'data-root',
  'exec-root': 'exec-root',
  hosts: 'host',
  pidfile: 'pidfile',
  'log-level': 'log-level',
  debug: 'debug',
  experimental: 'experimental',
  'log-opts': 'log-opt',
  'log-driver': 'log-driver',
  'storage-driver': 'storage-driver',
  'storage-opts': 'storage-opt',
  'userns-remap': 'userns-remap',
  'default-cgroupns-mode': 'default-cgroupns-mode',
  'default-ipc-mode': 'default-ipc-mode',
  'cgroup-parent': 'cgroup-parent',
  'seccomp-profile': 'seccomp-profile',
  bridge: 'bridge',
  bip: 'bip',
  ipv6: 'ipv6',
  'fixed-cidr-v6': 'fixed-cidr-v6',
  ip6tables: null,
  'default-address-pools': 'default-address-pool',
  'max-concurrent-downloads': 'max-concurrent-downloads',
  'max-concurrent-uploads': 'max-concurrent-uploads',
  'registry-mirrors': null,
  'insecure-registries': null,
  'push-chunk-threshold': null,
  'push-chunk-size': null,
  // Its keys are checked by criOptions; --cri-socket against cri.socket there too.
  cri: null,
  ...RUNTIME_DIRECTIVES,
};

/** dockerd's overlay2 options (`overlay2.size=10G`), from the flags or else daemon.json, in its words. */
function storageOptions(flags: string[] | undefined, fromFile: unknown): { defaultLayerSize?: number } {
  if (fromFile !== undefined && (!Array.isArray(fromFile) || fromFile.some((o) => typeof o !== 'string'))) throw new InvalidArgument('daemon.json: storage-opts must be a list of strings');
  const out: { defaultLayerSize?: number } = {};
  for (const opt of flags ?? (fromFile as string[] | undefined) ?? []) {
    const eq = opt.indexOf('=');
    if (eq < 0) throw new InvalidArgument(`Unable to parse key/value option: ${opt}`);
    const key = opt.slice(0, eq).trim().toLowerCase();
    if (key !== 'overlay2.size') throw new InvalidArgument(`overlay2: unknown option ${key}`);
    const val = opt.slice(eq + 1).trim();
    const size = ramInBytes(val);
    if (size === undefined) throw new InvalidArgument(`invalid size: '${val}'`);
    if (size > 0) out.defaultLayerSize = size;
    else delete out.defaultLayerSize;
  }
  return out;
}

/** A value as Go's %v prints it, the form of dockerd's conflict message. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v && typeof v === 'object') return `map[${Object.entries(v).map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  return String(v);
}

/**
 * dockerd's two refusals of a configuration file: a key that matches no option (a typo or an option
 * berthd does not have must not be silently ignored), and an option given both as a flag and in the file.
 */
function checkDirectives(path: string, file: Record<string, unknown>, flags: Record<string, unknown>): void {
  const unknown = Object.keys(file).filter((k) => !Object.hasOwn(DIRECTIVES, k));
  const fail = (msg: string): never => {
    throw new InvalidArgument(`unable to configure the berth daemon with file ${path}: ${msg}`);
  };
  if (unknown.length > 0) fail(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const conflicts: string[] = [];
  for (const [key, flag] of Object.entries(DIRECTIVES)) {
    if (flag === null || file[key] === undefined) continue;
    const given = flags[flag];
    if (given === undefined) continue;
    // --log-opt k=v is a map option in dockerd, printed as one.
    const shown = flag === 'log-opt' && Array.isArray(given) ? Object.fromEntries(given.map((kv: string) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : given;
    conflicts.push(`${key}: (from flag: ${goValue(shown)}, from file: ${goValue(file[key])})`);
  }
  if (conflicts.length > 0) fail(`the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`);
}

function stringList(v: unknown, key: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgument(`daemon.json: ${key} must be a list of strings`);
  return v;
}

function positiveInt(v: unknown, what: string, min = 1): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (v !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < min)) throw new InvalidArgument(`${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
  return n as number | undefined;
}

type RegistryOptions = Pick<DaemonOptions, 'registryMirrors' | 'insecureRegistries' | 'maxConcurrentDownloads' | 'maxConcurrentUploads' | 'pushChunkThreshold' | 'pushChunkSize'>;

function registryOptions(file: Record<string, unknown>, downloadsFlag: string | undefined, uploadsFlag: string | undefined): RegistryOptions {
  const raw = file['registry-mirrors'];
  const registryMirrors: Record<string, string[]> = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [domain, list] of Object.entries(raw)) registryMirrors[domain] = stringList(list, `registry-mirrors.${domain}`);
  } else if (raw !== undefined) {
    registryMirrors['docker.io'] = stringList(raw, 'registry-mirrors');
  }
  const downloads = positiveInt(downloadsFlag, '--max-concurrent-downloads') ?? positiveInt(file['max-concurrent-downloads'], 'daemon.json: max-concurrent-downloads');
  const uploads = positiveInt(uploadsFlag, '--max-concurrent-uploads') ?? positiveInt(file['max-concurrent-uploads'], 'daemon.json: max-concurrent-uploads');
  return {
    registryMirrors,
    insecureRegistries: stringList(file['insecure-registries'], 'insecure-registries'),
    maxConcurrentDownloads: downloads ?? 3,
    maxConcurrentUploads: uploads ?? 5,
    pushChunkThreshold: positiveInt(file['push-chunk-threshold'], 'daemon.json: push-chunk-threshold', 0) ?? DEFAULT_UPLOAD_POLICY.threshold,
    pushChunkSize: positiveInt(file['push-chunk-size'], 'daemon.json: push-chunk-size') ?? DEFAULT_UPLOAD_POLICY.chunkSize,
  };
}

/** daemon.json `log-opts` with `--log-opt k=v` flags over them; checked now, not at the first container. */
function logOptions(flags: string[] | undefined, fromFile: unknown, driver: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (fromFile !== undefined) {
    if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new InvalidArgument('daemon.json: log-opts must be an object of strings');
    for (const [k, v] of Object.entries(fromFile)) {
      if (typeof v !== 'string') throw new InvalidArgument(`daemon.json: log-opts.${k} must be a string`);
      out[k] = v;
    }
  }
  for (const kv of flags ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`invalid log-opt ${JSON.stringify(kv)}: expected key=value`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  checkLogConfig(driver, out);
  return out;
}

async function readDaemonJson(path: string, required: boolean): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgument(`unable to read configuration file ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgument(`unable to configure the berth daemon with file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** --default-address-pool base=CIDR,size=N (repeatable) or daemon.json [{base, size}]; Docker's defaults otherwise. */
function addressPools(flags: string[] | undefined, fromFile: unknown): { base: string; size: number }[] {
  if (flags?.length) {
    return flags.map((f) => {
      const kv = Object.fromEntries(f.split(',').map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]));
      const size = Number(kv['size']);
      if (!kv['base'] || !Number.isInteger(size)) throw new InvalidArgument(`invalid --default-address-pool ${f}: want base=CIDR,size=N`);
      return { base: kv['base'], size };
    });
  }
  if (fromFile === undefined) return DEFAULT_POOLS;
  if (!Array.isArray(fromFile)) throw new InvalidArgument('daemon.json: default-address-pools must be a list of {"base": CIDR, "size": N}');
  return fromFile.map((p: unknown) => {
    const o = (p ?? {}) as Record<string, unknown>;
    if (typeof o['base'] !== 'string' || typeof o['size'] !== 'number') throw new InvalidArgument('daemon.json: default-address-pools must be a list of {"base": CIDR, "size": N}');
    return { base: o['base'], size: o['size'] };
  });
}
