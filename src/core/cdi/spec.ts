import { InvalidArgument } from '../../errdefs/index.js';

/*
 * The Container Device Interface spec format (cdiVersion 0.3.0 to 0.8.0; berth reads the fields of 0.6):
 * a file names a `kind` (vendor/class), spec-wide containerEdits, and devices, each with its own edits.
 * A device is asked for by its fully qualified name, `vendor/class=name`.
 */

export interface CdiDeviceNode {
  /** Where it appears in the container. */
  path: string;
  /** The host node it is made from (absent: the same path). */
  hostPath?: string;
  type?: 'c' | 'b' | 'u' | 'p';
  major?: number;
  minor?: number;
  fileMode?: number;
  /** Some of 'rwm' (absent: rwm). */
  permissions?: string;
  uid?: number;
  gid?: number;
}

export interface CdiMount {
  hostPath: string;
  containerPath: string;
  options: string[];
  type?: string;
}

export type CdiHookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export interface CdiHook {
  hookName: CdiHookName;
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** What a spec or a device adds to a container. */
export interface ContainerEdits {
  env: string[];
  deviceNodes: CdiDeviceNode[];
  mounts: CdiMount[];
  hooks: CdiHook[];
  additionalGids: number[];
}

export interface CdiDevice {
  name: string;
  edits: ContainerEdits;
}

export interface CdiSpec {
  version: string;
  /** vendor/class */
  kind: string;
  edits: ContainerEdits;
  devices: CdiDevice[];
}

const HOOK_NAMES: ReadonlySet<string> = new Set(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
const VENDOR = /^[A-Za-z](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const CLASS = /^[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;
const DEVICE = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/** Whether a --device value is a CDI name (`vendor/class=name`) rather than a host path. */
export function isQualifiedName(s: string): boolean {
  return parseQualifiedName(s) !== undefined;
}

export function parseQualifiedName(s: string): { vendor: string; class: string; name: string } | undefined {
  const m = /^([^/=]+)\/([^/=]+)=(.+)$/.exec(s);
  if (!m || !VENDOR.test(m[1] as string) || !CLASS.test(m[2] as string) || !DEVICE.test(m[3] as string)) return undefined;
  return { vendor: m[1] as string, class: m[2] as string, name: m[3] as string };
}

function fail(what: string): never {
  throw new InvalidArgument(what);
}

function rec(v: unknown, where: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`${where} must be an object`);
  return v as Record<string, unknown>;
}

function strs(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(`${where} must be a list of strings`);
  return v;
}

function optInt(o: Record<string, unknown>, k: string, where: string): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${where}.${k} must be a non-negative integer`);
  return v;
}

function optStr(o: Record<string, unknown>, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(`${where}.${k} must be a string`);
  return v;
}

function parseEdits(v: unknown, where: string): ContainerEdits {
  const out: ContainerEdits = { env: [], deviceNodes: [], mounts: [], hooks: [], additionalGids: [] };
  if (v === undefined || v === null) return out;
  const o = rec(v, where);
  out.env = strs(o['env'], `${where}.env`);
  for (const e of out.env) if (!/^[^=]+=/.test(e)) fail(`${where}.env: invalid variable ${JSON.stringify(e)}`);
  for (const [i, d] of (Array.isArray(o['deviceNodes']) ? (o['deviceNodes'] as unknown[]) : []).entries()) {
    const w = `${where}.deviceNodes[${i}]`;
    const n = rec(d, w);
    const path = optStr(n, 'path', w);
    if (!path?.startsWith('/')) fail(`${w}.path must be an absolute path`);
    const node: CdiDeviceNode = { path };
    const hostPath = optStr(n, 'hostPath', w);
    if (hostPath !== undefined) {
      if (!hostPath.startsWith('/')) fail(`${w}.hostPath must be an absolute path`);
      node.hostPath = hostPath;
    }
    const type = optStr(n, 'type', w);
    if (type !== undefined) {
      if (!['c', 'b', 'u', 'p'].includes(type)) fail(`${w}.type ${JSON.stringify(type)} is not one of b, c, u, p`);
      node.type = type as 'c' | 'b' | 'u' | 'p';
    }
    const perms = optStr(n, 'permissions', w);
    if (perms !== undefined) {
      if (!/^[rwm]{1,3}$/.test(perms)) fail(`${w}.permissions ${JSON.stringify(perms)} must be some of "rwm"`);
      node.permissions = perms;
    }
    for (const k of ['major', 'minor', 'fileMode', 'uid', 'gid'] as const) {
      const x = optInt(n, k, w);
      if (x !== undefined) node[k] = x;
    }
    out.deviceNodes.push(node);
  }
  for (const [i, m] of (Array.isArray(o['mounts']) ? (o['mounts'] as unknown[]) : []).entries()) {
    const w = `${where}.mounts[${i}]`;
    const x = rec(m, w);
    const hostPath = optStr(x, 'hostPath', w);
    const containerPath = optStr(x, 'containerPath', w);
    if (!hostPath) fail(`${w}.hostPath is required`);
    if (!containerPath?.startsWith('/')) fail(`${w}.containerPath must be an absolute path`);
    const type = optStr(x, 'type', w);
    out.mounts.push({ hostPath, containerPath, options: strs(x['options'], `${w}.options`), ...(type ? { type } : {}) });
  }
  for (const [i, h] of (Array.isArray(o['hooks']) ? (o['hooks'] as unknown[]) : []).entries()) {
    const w = `${where}.hooks[${i}]`;
    const x = rec(h, w);
    const hookName = optStr(x, 'hookName', w) ?? '';
    if (!HOOK_NAMES.has(hookName)) fail(`${w}.hookName ${JSON.stringify(hookName)} is not one of ${[...HOOK_NAMES].join(', ')}`);
    const path = optStr(x, 'path', w);
    if (!path?.startsWith('/')) fail(`${w}.path must be an absolute path`);
    const hook: CdiHook = { hookName: hookName as CdiHookName, path };
    if (x['args'] !== undefined) hook.args = strs(x['args'], `${w}.args`);
    if (x['env'] !== undefined) hook.env = strs(x['env'], `${w}.env`);
    const timeout = optInt(x, 'timeout', w);
    if (timeout !== undefined) hook.timeout = timeout;
    out.hooks.push(hook);
  }
  if (o['additionalGids'] !== undefined) {
    const g = o['additionalGids'];
    if (!Array.isArray(g) || !g.every((x) => Number.isInteger(x) && (x as number) >= 0)) fail(`${where}.additionalGids must be a list of gids`);
    out.additionalGids = g as number[];
  }
  if (o['intelRdt'] !== undefined && o['intelRdt'] !== null) fail(`${where}.intelRdt is not supported by berth`);
  return out;
}

/** Checks a spec file's parsed content; throws InvalidArgument naming the bad field. */
export function parseCdiSpec(doc: unknown): CdiSpec {
  const o = rec(doc, 'the spec');
  const version = typeof o['cdiVersion'] === 'string' ? o['cdiVersion'] : '';
  const v = /^0\.(\d+)\.\d+$/.exec(version);
  if (!v || Number(v[1]) < 3 || Number(v[1]) > 8) fail(`cdiVersion ${JSON.stringify(version)} is not supported (0.3.0 to 0.8.0)`);
  const kind = typeof o['kind'] === 'string' ? o['kind'] : '';
  const k = /^([^/]+)\/([^/]+)$/.exec(kind);
  if (!k || !VENDOR.test(k[1] as string) || !CLASS.test(k[2] as string)) fail(`kind ${JSON.stringify(kind)} is not a valid vendor/class`);
  if (!Array.isArray(o['devices']) || o['devices'].length === 0) fail('the spec has no devices');
  const seen = new Set<string>();
  const devices = (o['devices'] as unknown[]).map((d, i) => {
    const x = rec(d, `devices[${i}]`);
    const name = typeof x['name'] === 'string' ? x['name'] : '';
    if (!DEVICE.test(name)) fail(`devices[${i}].name ${JSON.stringify(name)} is not a valid device name`);
    if (seen.has(name)) fail(`device ${JSON.stringify(name)} is defined twice`);
    seen.add(name);
    return { name, edits: parseEdits(x['containerEdits'], `devices[${i}].containerEdits`) };
  });
  return { version, kind, edits: parseEdits(o['containerEdits'], 'containerEdits'), devices };
}

/** Appends b's edits to a's (a new object). */
export function mergeEdits(a: ContainerEdits, b: ContainerEdits): ContainerEdits {
  return {
    env: [...a.env, ...b.env],
    deviceNodes: [...a.deviceNodes, ...b.deviceNodes],
    mounts: [...a.mounts, ...b.mounts],
    hooks: [...a.hooks, ...b.hooks],
    additionalGids: [...a.additionalGids, ...b.additionalGids.filter((g) => !a.additionalGids.includes(g))],
  };
}

export function emptyEdits(): ContainerEdits {
  return { env: [], deviceNodes: [], mounts: [], hooks: [], additionalGids: [] };
}
