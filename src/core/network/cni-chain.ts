import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFound, Unavailable } from '../../errdefs/index.js';
import { invokePlugin, type CniResult } from './cni.js';

/** One network configuration list, as libcni reads it from a conf dir (a .conf is a list of one). */
export interface CniNetworkList {
  name: string;
  cniVersion: string;
  plugins: Record<string, unknown>[];
  /** The file it came from, for messages. */
  file: string;
}

const CONF_EXT = /\.(conf|conflist|json)$/;

/**
 * The network pods join: the first usable configuration of `confDir` in file name order, as
 * kubelet's runtimes pick it. NotFound, in words, when there is none.
 */
export async function loadCniNetwork(confDir: string): Promise<CniNetworkList> {
  const names = (await readdir(confDir).catch(() => [] as string[])).filter((n) => CONF_EXT.test(n)).sort();
  for (const n of names) {
    const conf = await readFile(join(confDir, n), 'utf8')
      .then((t) => JSON.parse(t) as unknown)
      .catch(() => undefined);
    if (!conf || typeof conf !== 'object') continue;
    const c = conf as Record<string, unknown>;
    const version = typeof c['cniVersion'] === 'string' ? c['cniVersion'] : '1.0.0';
    const name = typeof c['name'] === 'string' ? c['name'] : n;
    if (n.endsWith('.conflist')) {
      if (!Array.isArray(c['plugins']) || c['plugins'].length === 0) continue;
      return { name, cniVersion: version, plugins: c['plugins'] as Record<string, unknown>[], file: join(confDir, n) };
    }
    if (typeof c['type'] === 'string') return { name, cniVersion: version, plugins: [c], file: join(confDir, n) };
  }
  throw new NotFound(`cni config uninitialized: no network config found in ${confDir}`);
}

async function pluginDir(binDirs: string[], type: string): Promise<string> {
  for (const d of binDirs) {
    if (await access(join(d, type)).then(() => true, () => false)) return d;
  }
  throw new Unavailable(`CNI plugin ${type} not found in ${binDirs.join(', ')}`);
}

export interface CniAttachment {
  containerId: string;
  netns: string;
  ifname: string;
  args?: Record<string, string>;
  /** Capability arguments (e.g. `portMappings`), given to each plugin that declares the capability, as libcni does. */
  capabilities?: Record<string, unknown>;
}

/** Whether some plugin of the list declares `capability` (`"capabilities": {"portMappings": true}`). */
export function hasCapability(net: CniNetworkList, capability: string): boolean {
  return net.plugins.some((p) => (p['capabilities'] as Record<string, unknown> | undefined)?.[capability] === true);
}

function pluginConf(net: CniNetworkList, p: Record<string, unknown>, prev: CniResult | undefined, at: CniAttachment): Record<string, unknown> {
  const caps = (p['capabilities'] as Record<string, unknown> | undefined) ?? {};
  const runtimeConfig = Object.fromEntries(Object.entries(at.capabilities ?? {}).filter(([k]) => caps[k] === true));
  const { capabilities: _declared, ...conf } = p;
  return { ...conf, name: net.name, cniVersion: net.cniVersion, ...(Object.keys(runtimeConfig).length ? { runtimeConfig } : {}), ...(prev ? { prevResult: prev } : {}) };
}

/**
 * ADD through every plugin of the list, each given the result before it (the spec's chaining).
 * A failure half-way runs DEL over what was added and rethrows: nothing of it stays allocated.
 */
export async function cniAddList(net: CniNetworkList, binDirs: string[], at: CniAttachment): Promise<CniResult> {
  let prev: CniResult | undefined;
  const done: Record<string, unknown>[] = [];
  try {
    for (const p of net.plugins) {
      const type = String(p['type']);
      const dir = await pluginDir(binDirs, type);
      done.push(p);
      prev = (await invokePlugin(dir, pluginConf(net, p, prev, at), 'ADD', at)) ?? prev;
    }
  } catch (e) {
    await cniDelList({ ...net, plugins: done }, binDirs, at, prev).catch(() => undefined);
    throw e;
  }
  return prev ?? {};
}

/** DEL through the list in reverse order; every plugin is asked even when one fails (the first failure is thrown). */
export async function cniDelList(net: CniNetworkList, binDirs: string[], at: CniAttachment, prev?: CniResult): Promise<void> {
  let first: unknown;
  for (const p of [...net.plugins].reverse()) {
    try {
      const dir = await pluginDir(binDirs, String(p['type']));
      await invokePlugin(dir, pluginConf(net, p, prev, at), 'DEL', at);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}
