import { posix } from 'node:path';
import { InvalidArgument } from '../../../errdefs/index.js';
import type { MountRequest } from '../../../services/index.js';

const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const LABEL_MODES = new Set(['z', 'Z']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

/** Docker's mode check for `-v`: at most one of each kind among rw/ro, propagation, z/Z, nocopy. */
function parseMode(mode: string, spec: string): { rw: boolean; propagation: string; copyData: boolean } {
  const out = { rw: true, propagation: '', copyData: true };
  const seen = new Set<string>();
  const once = (kind: string): void => {
    if (seen.has(kind)) throw new InvalidArgument(`invalid mode: ${mode}`);
    seen.add(kind);
  };
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') {
      once('rw');
      out.rw = o === 'rw';
    } else if (PROPAGATIONS.has(o)) {
      once('propagation');
      out.propagation = o;
    } else if (LABEL_MODES.has(o)) once('label');
    else if (o === 'nocopy') {
      once('copy');
      out.copyData = false;
    } else if (CONSISTENCY.has(o)) once('consistency');
    else throw new InvalidArgument(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
  }
  return out;
}

function validMode(m: string): boolean {
  try {
    parseMode(m, m);
    return true;
  } catch {
    return false;
  }
}

function checkDestination(dst: string, spec: string, type: string): string {
  if (!dst) throw new InvalidArgument(`invalid mount config for type "${type}": field Target must not be empty`);
  if (!dst.startsWith('/')) throw new InvalidArgument(`invalid volume specification: '${spec}': invalid mount config for type "${type}": invalid mount path: '${dst}' mount path must be absolute`);
  const clean = posix.normalize(dst);
  if (clean === '/') throw new InvalidArgument(`invalid specification: destination can't be '/'`);
  return clean.replace(/\/$/, '');
}

/** A HostConfig.Binds entry: `name:/dst[:mode]`, `/host:/dst[:mode]`, or `/dst[:mode]` (anonymous). */
export function parseBind(spec: string): MountRequest {
  const parts = spec.split(':');
  let src = '';
  let dst: string;
  let mode = '';
  if (parts.length === 1) dst = parts[0] as string;
  else if (parts.length === 2 && validMode(parts[1] as string) && !(parts[1] as string).startsWith('/')) [dst, mode] = parts as [string, string];
  else if (parts.length === 2) [src, dst] = parts as [string, string];
  else if (parts.length === 3) [src, dst, mode] = parts as [string, string, string];
  else throw new InvalidArgument(`invalid volume specification: '${spec}'`);
  if (parts.length > 1 && src === '' && parts.length === 3) throw new InvalidArgument(`invalid volume specification: '${spec}'`);
  const type = src.startsWith('/') ? 'bind' : 'volume';
  const destination = checkDestination(dst, spec, type);
  const m = mode ? parseMode(mode, spec) : { rw: true, propagation: '', copyData: true };
  if (type === 'bind') {
    if (!m.copyData) throw new InvalidArgument(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
    return { type, source: posix.normalize(src), destination, rw: m.rw, mode, propagation: m.propagation || 'rprivate', copyData: false, createSource: true };
  }
  if (m.propagation) throw new InvalidArgument(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
  return { type, source: src, destination, rw: m.rw, mode: src ? mode || 'z' : mode, propagation: '', copyData: m.copyData };
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  const o = record(v);
  return o ? Object.fromEntries(Object.entries(o).map(([k, x]) => [k, String(x)])) : undefined;
}

/** A HostConfig.Mounts entry (`--mount`), checked as Docker checks it. */
export function parseMountSpec(raw: unknown): MountRequest {
  const m = record(raw);
  if (!m) throw new InvalidArgument('invalid mount config: expected an object');
  const type = m['Type'];
  const source = typeof m['Source'] === 'string' ? m['Source'] : '';
  const target = typeof m['Target'] === 'string' ? m['Target'] : '';
  const ro = m['ReadOnly'] === true;
  const bindOpts = record(m['BindOptions']);
  const volOpts = record(m['VolumeOptions']);
  const tmpfsOpts = record(m['TmpfsOptions']);
  const bad = (t: string, why: string): InvalidArgument => new InvalidArgument(`invalid mount config for type "${t}": ${why}`);
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw new InvalidArgument(`invalid mount config: mount type unknown: "${String(type)}"`);
  if (!target) throw bad(type, 'field Target must not be empty');
  if (!target.startsWith('/')) throw bad(type, `invalid mount path: '${target}' mount path must be absolute`);
  const destination = posix.normalize(target).replace(/(.)\/$/, '$1');
  if (destination === '/') throw new InvalidArgument(`invalid specification: destination can't be '/'`);
  if (type !== 'bind' && bindOpts) throw bad(type, 'field BindOptions must not be specified');
  if (type !== 'volume' && volOpts) throw bad(type, 'field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && tmpfsOpts) throw bad(type, 'field TmpfsOptions must not be specified');
  switch (type) {
    case 'bind': {
      if (!source) throw bad(type, 'field Source must not be empty');
      if (!source.startsWith('/')) throw bad(type, `invalid mount path: '${source}' mount path must be absolute`);
      const propagation = typeof bindOpts?.['Propagation'] === 'string' && bindOpts['Propagation'] ? bindOpts['Propagation'] : 'rprivate';
      if (!PROPAGATIONS.has(propagation)) throw bad(type, `invalid propagation mode: ${propagation}`);
      const req: MountRequest = { type, source: posix.normalize(source), destination, rw: !ro, mode: '', propagation, nonRecursive: bindOpts?.['NonRecursive'] === true, copyData: false, fromMountsApi: true };
      // API 1.42: BindOptions.CreateMountpoint asks for the missing source to be made, as -v does.
      if (bindOpts?.['CreateMountpoint'] === true) req.createSource = true;
      return req;
    }
    case 'volume': {
      const dc = record(volOpts?.['DriverConfig']);
      const subpath = typeof volOpts?.['Subpath'] === 'string' && volOpts['Subpath'] ? volOpts['Subpath'] : undefined;
      if (subpath && (subpath.startsWith('/') || posix.normalize(subpath).startsWith('..'))) throw bad(type, `invalid subpath: ${subpath}`);
      const req: MountRequest = { type, source, destination, rw: !ro, mode: '', propagation: '', copyData: volOpts?.['NoCopy'] !== true, fromMountsApi: true };
      if (subpath) req.subpath = subpath;
      const labels = stringMap(volOpts?.['Labels']);
      if (labels) req.volumeLabels = labels;
      const opts = stringMap(dc?.['Options']);
      if (opts) req.volumeOptions = opts;
      if (typeof dc?.['Name'] === 'string' && dc['Name']) req.volumeDriver = dc['Name'];
      return req;
    }
    case 'tmpfs': {
      if (source) throw bad(type, 'field Source must not be specified');
      const options: string[] = [];
      const size = tmpfsOpts?.['SizeBytes'];
      if (typeof size === 'number' && size > 0) options.push(`size=${size}`);
      const mode = tmpfsOpts?.['Mode'];
      if (typeof mode === 'number' && mode > 0) options.push(`mode=${mode.toString(8)}`);
      if (ro) options.push('ro');
      return { type, source: '', destination, rw: !ro, mode: '', propagation: '', copyData: false, options, fromMountsApi: true };
    }
  }
}

/** A HostConfig.Tmpfs entry: `/path` → `size=64m,uid=1000`. */
export function parseTmpfs(path: string, opts: string): MountRequest {
  const destination = checkDestination(path, path, 'tmpfs');
  const options = opts.split(',').filter((o) => o !== '');
  const rw = !options.includes('ro');
  return { type: 'tmpfs', source: '', destination, rw, mode: '', propagation: '', copyData: false, options };
}

/** A HostConfig.VolumesFrom entry: `container[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { container: string; rw?: boolean } {
  const [container = '', mode, extra] = spec.split(':');
  if (!container || extra !== undefined) throw new InvalidArgument(`invalid volumes-from specification: '${spec}'`);
  if (mode === undefined || mode === '') return { container };
  if (mode !== 'ro' && mode !== 'rw') throw new InvalidArgument(`invalid mode for volumes-from: ${mode}`);
  return { container, rw: mode === 'rw' };
}

/** The mounts of a create, in Docker's precedence: Binds and Mounts, then Tmpfs; duplicates refused. */
export function mountsFromWire(hc: Record<string, unknown>, binds: string[], configVolumes: Record<string, object>): MountRequest[] {
  const out: MountRequest[] = [];
  const add = (m: MountRequest): void => {
    if (out.some((o) => o.destination === m.destination)) throw new InvalidArgument(`Duplicate mount point: ${m.destination}`);
    out.push(m);
  };
  for (const b of binds) add(parseBind(b));
  // Some docker CLI paths leave a `src:dst` spec in Config.Volumes too (e.g. two -v for one path): treat it as the bind it is.
  for (const v of Object.keys(configVolumes)) if (v.includes(':') && !binds.includes(v)) add(parseBind(v));
  const mounts = hc['Mounts'];
  if (Array.isArray(mounts)) for (const m of mounts) add(parseMountSpec(m));
  const tmpfs = hc['Tmpfs'];
  if (tmpfs && typeof tmpfs === 'object' && !Array.isArray(tmpfs)) {
    for (const [path, opts] of Object.entries(tmpfs as Record<string, unknown>)) add(parseTmpfs(path, typeof opts === 'string' ? opts : ''));
  }
  return out;
}

/** HostConfig.VolumesFrom, each entry checked. */
export function volumesFromFromWire(hc: Record<string, unknown>): { container: string; rw?: boolean }[] {
  const v = hc['VolumesFrom'];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map(parseVolumesFrom) : [];
}
