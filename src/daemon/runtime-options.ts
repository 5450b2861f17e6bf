import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument } from '../errdefs/index.js';
import { DEFAULT_CDI_SPEC_DIRS } from '../core/cdi/index.js';
import { STOCK_RUNTIME, probeRuntime } from '../core/runtime/index.js';
import type { OciRuntime, OciRuntimeStatus } from '../core/runtime/index.js';

/** The runtimes and CDI options of daemon.json and the flags, as dockerd reads them. */
export interface RuntimeOptions {
  /** runc first, then crun when installed, then the configured ones (a configured crun replaces the found one). */
  runtimes: OciRuntime[];
  defaultRuntime: string;
  cdiSpecDirs: string[];
  /** daemon.json `features.cdi` (Docker 25-27 needed it; 28 has CDI on by default, as berth). */
  cdi: boolean;
}

/** daemon.json keys of this module, with their flags (for dockerd's flag-and-file conflict check). */
export const RUNTIME_DIRECTIVES: Record<string, string | null> = {
  runtimes: 'add-runtime',
  'default-runtime': 'default-runtime',
  'cdi-spec-dirs': 'cdi-spec-dir',
  features: null,
};

/** daemon.json `features`: only `cdi` is one berth has (on unless set false). */
function cdiFeature(raw: unknown): boolean {
  if (raw === undefined) return true;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgument('daemon.json: features must be an object of booleans');
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'cdi') throw new InvalidArgument(`daemon.json: features.${k} is not supported by berth (it knows only "cdi")`);
    if (typeof v !== 'boolean') throw new InvalidArgument('daemon.json: features.cdi must be true or false');
  }
  return (raw as Record<string, unknown>)['cdi'] !== false;
}

/** The flags of this module for parseArgs. */
export const RUNTIME_FLAGS = {
  'add-runtime': { type: 'string', multiple: true },
  'default-runtime': { type: 'string' },
  'cdi-spec-dir': { type: 'string', multiple: true },
} as const;

export const RUNTIME_USAGE = `      --add-runtime runtime    Register an additional OCI compatible runtime (name=path)
      --default-runtime string Default OCI runtime for containers (default "runc")
      --cdi-spec-dir list      CDI specification directories to use (default /etc/cdi, /var/run/cdi)
`;

/** A binary on PATH (or the absolute path itself) that can be run; undefined when there is none. */
export function findExecutable(name: string, path = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(':').filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function fromFile(raw: unknown): OciRuntime[] {
  if (raw === undefined) return [];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgument('daemon.json: runtimes must be an object of {"name": {"path": …, "runtimeArgs": […]}}');
  return Object.entries(raw as Record<string, unknown>).map(([name, v]) => {
    const o = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k === 'runtimeType' || k === 'options') throw new InvalidArgument(`daemon.json: runtimes.${name}.${k} is not supported by berth: it runs OCI runtime binaries (give "path"), not containerd shims`);
      if (k !== 'path' && k !== 'runtimeArgs') throw new InvalidArgument(`daemon.json: runtimes.${name}: unknown field ${JSON.stringify(k)} (use "path" and "runtimeArgs")`);
    }
    if (typeof o['path'] !== 'string' || o['path'] === '') throw new InvalidArgument(`daemon.json: runtimes.${name} needs a "path"`);
    const args = o['runtimeArgs'] ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new InvalidArgument(`daemon.json: runtimes.${name}.runtimeArgs must be a list of strings`);
    return { name, path: o['path'], args: args };
  });
}

function fromFlags(flags: readonly string[] | undefined): OciRuntime[] {
  const out: OciRuntime[] = [];
  for (const f of flags ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0 || eq === f.length - 1) throw new InvalidArgument(`invalid runtime argument: ${f}`);
    const name = f.slice(0, eq);
    if (out.some((r) => r.name === name)) throw new InvalidArgument(`runtime '${name}' already defined`);
    out.push({ name, path: f.slice(eq + 1), args: [] });
  }
  return out;
}

/**
 * The runtimes berthd offers: runc (the daemon's binary) always; crun when it is installed; then the
 * configured ones. Refuses as dockerd does: the name runc is reserved, the default must exist.
 */
export function runtimeOptions(file: Record<string, unknown>, flags: { 'add-runtime'?: string[] | undefined; 'default-runtime'?: string | undefined; 'cdi-spec-dir'?: string[] | undefined }, runcPath: string): RuntimeOptions {
  const configured = [...fromFile(file['runtimes']), ...fromFlags(flags['add-runtime'])];
  for (const r of configured) {
    if (r.name === STOCK_RUNTIME) throw new InvalidArgument(`runtime name '${STOCK_RUNTIME}' is reserved`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(r.name)) throw new InvalidArgument(`invalid runtime name ${JSON.stringify(r.name)}: use letters, digits, '_', '.' and '-'`);
  }
  const runtimes: OciRuntime[] = [{ name: STOCK_RUNTIME, path: runcPath, args: [] }];
  const crun = findExecutable('crun');
  if (crun && !configured.some((r) => r.name === 'crun')) runtimes.push({ name: 'crun', path: crun, args: [] });
  runtimes.push(...configured);
  const dflt = flags['default-runtime'] ?? file['default-runtime'] ?? STOCK_RUNTIME;
  if (typeof dflt !== 'string' || dflt === '') throw new InvalidArgument('daemon.json: default-runtime must be a runtime name');
  if (!runtimes.some((r) => r.name === dflt)) throw new InvalidArgument(`specified default runtime '${dflt}' does not exist`);
  const dirsFile = file['cdi-spec-dirs'];
  if (dirsFile !== undefined && (!Array.isArray(dirsFile) || !dirsFile.every((d) => typeof d === 'string'))) throw new InvalidArgument('daemon.json: cdi-spec-dirs must be a list of directories');
  const cdiSpecDirs = flags['cdi-spec-dir'] ?? (dirsFile) ?? [...DEFAULT_CDI_SPEC_DIRS];
  for (const d of cdiSpecDirs) if (!d.startsWith('/')) throw new InvalidArgument(`CDI spec directory ${JSON.stringify(d)} must be an absolute path`);
  return { runtimes, defaultRuntime: dflt, cdiSpecDirs, cdi: cdiFeature(file['features']) };
}

/** The runtimes as probed at start: the container service's catalog and `docker info`'s list. */
export interface ProbedRuntimes {
  readonly defaultName: string;
  get(name: string): OciRuntimeStatus | undefined;
  list(): OciRuntimeStatus[];
}

/** Probes every runtime at once (each runs one trivial container); one that cannot says why. */
export async function probeRuntimes(opts: RuntimeOptions, scratchDir: string): Promise<ProbedRuntimes> {
  const probed = await Promise.all(
    opts.runtimes.map(async (r): Promise<OciRuntimeStatus> => {
      const path = findExecutable(r.path);
      if (!path) return { ...r, unavailable: `${r.path}: no such executable` };
      const why = await probeRuntime({ ...r, path }, scratchDir).catch((e: unknown) => (e as Error).message);
      return why === undefined ? { ...r, path } : { ...r, path, unavailable: why };
    }),
  );
  const byName = new Map(probed.map((r) => [r.name, r]));
  return { defaultName: opts.defaultRuntime, get: (n) => byName.get(n), list: () => [...probed] };
}
