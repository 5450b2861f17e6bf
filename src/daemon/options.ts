import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidArgument } from '../errdefs/index.js';

export interface DaemonOptions {
  socketPath: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  storageDriver: 'auto' | 'overlay' | 'copy';
  runtimePath: string;
  conmonPath: string;
  /** Registry mirrors per domain (daemon.json `registry-mirrors`: a list for docker.io, or {domain: [mirrors]}). */
  registryMirrors: Record<string, string[]>;
  /** daemon.json `insecure-registries` (127.0.0.0/8 is always plain HTTP). */
  insecureRegistries: string[];
  /** `--max-concurrent-downloads` or daemon.json `max-concurrent-downloads` (also used for uploads); default 3. */
  maxConcurrentDownloads: number;
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
  -D, --debug                  Enable debug mode
      --max-concurrent-downloads int
                               Set the max concurrent downloads (default 3)
  -p, --pidfile string         Path to use for daemon PID file (default "<exec-root>/berthd.pid")
  -s, --storage-driver string  Storage driver to use ("overlay"|"copy"|"auto") (default "auto")
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
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        pidfile: { type: 'string', short: 'p' },
        'config-file': { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        debug: { type: 'boolean', short: 'D' },
        'storage-driver': { type: 'string', short: 's' },
        'max-concurrent-downloads': { type: 'string' },
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
  const level = f.debug ? 'debug' : pick(f['log-level'], 'log-level', 'BERTH_LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(level)) throw new InvalidArgument(`unable to parse logging level: ${level}`);
  const driver = pick(f['storage-driver'], 'storage-driver', 'BERTH_STORAGE_DRIVER', 'auto');
  const driverName = driver === 'overlay2' ? 'overlay' : driver === 'vfs' ? 'copy' : driver;
  if (!['auto', 'overlay', 'copy'].includes(driverName)) throw new InvalidArgument(`unknown storage driver ${driver}: use overlay, copy or auto`);
  return {
    socketPath: host.slice('unix://'.length),
    dataRoot,
    execRoot,
    pidfile: pick(f.pidfile, 'pidfile', 'BERTH_PIDFILE', `${execRoot}/berthd.pid`),
    logLevel: level as DaemonOptions['logLevel'],
    storageDriver: driverName as DaemonOptions['storageDriver'],
    runtimePath: env['BERTH_RUNC'] ?? '/usr/sbin/runc',
    conmonPath: env['BERTH_CONMON'] ?? '/usr/bin/conmon',
    ...registryOptions(file, f['max-concurrent-downloads']),
  };
}

function stringList(v: unknown, key: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgument(`daemon.json: ${key} must be a list of strings`);
  return v as string[];
}

function registryOptions(file: Record<string, unknown>, downloadsFlag: string | undefined): Pick<DaemonOptions, 'registryMirrors' | 'insecureRegistries' | 'maxConcurrentDownloads'> {
  const raw = file['registry-mirrors'];
  const registryMirrors: Record<string, string[]> = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [domain, list] of Object.entries(raw)) registryMirrors[domain] = stringList(list, `registry-mirrors.${domain}`);
  } else if (raw !== undefined) {
    registryMirrors['docker.io'] = stringList(raw, 'registry-mirrors');
  }
  if (downloadsFlag !== undefined && !/^[1-9]\d{0,5}$/.test(downloadsFlag)) {
    throw new InvalidArgument(`invalid argument ${JSON.stringify(downloadsFlag)} for "--max-concurrent-downloads" flag: must be a positive integer`);
  }
  const n = downloadsFlag !== undefined ? Number(downloadsFlag) : file['max-concurrent-downloads'];
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1)) throw new InvalidArgument('daemon.json: max-concurrent-downloads must be a positive integer');
  return { registryMirrors, insecureRegistries: stringList(file['insecure-registries'], 'insecure-registries'), maxConcurrentDownloads: n ?? 3 };
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
