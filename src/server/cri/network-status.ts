import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CniStatus {
  ready: boolean;
  /** The networks found (their `name`), in the order CNI picks them: file name order. */
  networks: string[];
  /** Why not ready, in words; empty when ready. */
  message: string;
}

/** libcni's configuration file extensions. */
const CONF_EXT = /\.(conf|conflist|json)$/;

/**
 * Whether pods can be networked: a usable CNI configuration in the conf dir, read as kubelet's
 * runtimes read it (files in name order; a .conflist with plugins, or a single-plugin .conf/.json
 * with a type). A file that is not such a configuration is passed over, as libcni does.
 */
export async function cniStatus(confDir: string): Promise<CniStatus> {
  let names: string[];
  try {
    names = (await readdir(confDir)).filter((n) => CONF_EXT.test(n)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    return { ready: false, networks: [], message: `cni config uninitialized: the CNI configuration directory ${confDir} does not exist` };
  }
  const networks: string[] = [];
  const skipped: string[] = [];
  for (const n of names) {
    const conf = await readFile(join(confDir, n), 'utf8')
      .then((t) => JSON.parse(t) as unknown)
      .catch(() => undefined);
    const c = conf && typeof conf === 'object' ? (conf as Record<string, unknown>) : undefined;
    const usable = c !== undefined && (n.endsWith('.conflist') ? Array.isArray(c['plugins']) && c['plugins'].length > 0 : typeof c['type'] === 'string');
    if (usable) networks.push(typeof c['name'] === 'string' ? c['name'] : n);
    else skipped.push(n);
  }
  if (networks.length) return { ready: true, networks, message: '' };
  const why = skipped.length ? ` (not a CNI network configuration: ${skipped.join(', ')})` : '';
  return { ready: false, networks, message: `cni config uninitialized: no network config found in ${confDir}${why}` };
}
