import { isIP } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { InvalidArgument } from '../errdefs/index.js';
import { parseReference } from '../oci/index.js';
import type { CriConfig } from '../server/cri/index.js';

/** The CRI server's settings: daemon.json's `cri` section, with --cri and --cri-socket over it. */
export interface CriOptions extends CriConfig {
  enabled: boolean;
}

export const CRI_KEYS = ['socket', 'sandbox-image', 'cni-conf-dir', 'cni-bin-dirs', 'cgroup-driver', 'stream-address', 'stream-port', 'namespace'] as const;

/** `--cri` alone means on: node's parseArgs takes no `=false` on a boolean, so the flag is a string. */
export function normalizeCriFlag(argv: string[]): string[] {
  return argv.map((a) => (a === '--cri' ? '--cri=true' : a));
}

function bool(v: string, what: string): boolean {
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw new InvalidArgument(`invalid value ${JSON.stringify(v)} for ${what}: use true or false`);
}

function absPath(v: unknown, key: string): string {
  if (typeof v !== 'string' || !isAbsolute(v)) throw new InvalidArgument(`daemon.json: cri.${key} must be an absolute path`);
  return v;
}

/**
 * The `cri` section: every key checked now (an unknown one refused, as the top-level keys are), so
 * a typo stops berthd at start rather than leaving kubelet with a runtime configured otherwise.
 */
export function criOptions(section: unknown, flags: { cri?: string | undefined; 'cri-socket'?: string | undefined }, execRoot: string, configFile: string): CriOptions {
  if (section !== undefined && (!section || typeof section !== 'object' || Array.isArray(section))) {
    throw new InvalidArgument('daemon.json: cri must be an object');
  }
  const s = (section ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(s).filter((k) => !(CRI_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new InvalidArgument(`unable to configure the berth daemon with file ${configFile}: the following keys of "cri" don't match any configuration option: ${unknown.join(', ')}`);
  }
  if (flags['cri-socket'] !== undefined && s['socket'] !== undefined) {
    throw new InvalidArgument(
      `unable to configure the berth daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: cri.socket: (from flag: ${flags['cri-socket']}, from file: ${String(s['socket'])})`,
    );
  }
  const socket = flags['cri-socket'] ?? (s['socket'] !== undefined ? absPath(s['socket'], 'socket') : join(execRoot, 'cri.sock'));
  if (!isAbsolute(socket)) throw new InvalidArgument(`--cri-socket must be an absolute path, not ${socket}`);
  const sandboxImage = s['sandbox-image'] ?? 'registry.k8s.io/pause:3.9';
  if (typeof sandboxImage !== 'string') throw new InvalidArgument('daemon.json: cri.sandbox-image must be a string');
  try {
    parseReference(sandboxImage);
  } catch (e) {
    throw new InvalidArgument(`daemon.json: cri.sandbox-image ${JSON.stringify(sandboxImage)}: ${(e as Error).message}`, { cause: e });
  }
  const binDirs = s['cni-bin-dirs'] ?? ['/opt/cni/bin', '/usr/lib/cni'];
  if (!Array.isArray(binDirs) || binDirs.length === 0) throw new InvalidArgument('daemon.json: cri.cni-bin-dirs must be a non-empty list of absolute paths');
  const cgroupDriver = s['cgroup-driver'] ?? 'cgroupfs';
  if (cgroupDriver !== 'cgroupfs' && cgroupDriver !== 'systemd') {
    throw new InvalidArgument(`daemon.json: cri.cgroup-driver ${JSON.stringify(cgroupDriver)}: use "cgroupfs" or "systemd"`);
  }
  // Refused at start, not at the first pod: a node whose kubelet is set to systemd must not come up half-working.
  if (cgroupDriver === 'systemd') {
    throw new InvalidArgument('daemon.json: cri.cgroup-driver "systemd" is not supported by berth yet: pods\' cgroups are made with cgroupfs (set kubelet\'s cgroupDriver to cgroupfs)');
  }
  const streamAddress = s['stream-address'] ?? '127.0.0.1';
  if (typeof streamAddress !== 'string' || isIP(streamAddress) === 0) throw new InvalidArgument(`daemon.json: cri.stream-address ${JSON.stringify(streamAddress)} is not an IP address`);
  const rawPort = s['stream-port'] ?? 0;
  const streamPort = typeof rawPort === 'string' && /^\d+$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (typeof streamPort !== 'number' || !Number.isInteger(streamPort) || streamPort < 0 || streamPort > 65535) {
    throw new InvalidArgument(`daemon.json: cri.stream-port ${JSON.stringify(rawPort)}: want a port number (0 for a free one)`);
  }
  const namespace = s['namespace'] ?? 'k8s.io';
  // containerd's rule for namespace names: labels of letters and digits joined by . _ -
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/.test(namespace)) {
    throw new InvalidArgument(`daemon.json: cri.namespace ${JSON.stringify(namespace)}: letters and digits, joined by '.', '_' or '-'`);
  }
  return {
    enabled: flags.cri === undefined ? true : bool(flags.cri, '--cri'),
    socket,
    sandboxImage,
    cniConfDir: absPath(s['cni-conf-dir'] ?? '/etc/cni/net.d', 'cni-conf-dir'),
    cniBinDirs: binDirs.map((d: unknown) => absPath(d, 'cni-bin-dirs')),
    cgroupDriver,
    streamAddress,
    streamPort,
    namespace,
  };
}
