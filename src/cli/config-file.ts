import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgument } from '../errdefs/index.js';

/** The docker CLI's config.json, of which berth reads and writes the same keys. */
export interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  detachKeys?: string;
  [k: string]: unknown;
}

/** Where the docker CLI keeps it: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

/** The file's contents; none yet is an empty config. */
export async function readConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgument(`loading config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const cfg: unknown = JSON.parse(text);
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('not a JSON object');
    return cfg as ConfigFile;
  } catch (e) {
    throw new InvalidArgument(`loading config file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export async function writeConfig(path: string, cfg: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * The detach keys to send for exec, attach, run and start: the --detach-keys flag, else the config
 * file's detachKeys (as the docker CLI does), else none (berthd's default, ctrl-p ctrl-q).
 */
export async function detachKeysFor(env: NodeJS.ProcessEnv, flag: string | undefined): Promise<string | undefined> {
  if (flag !== undefined && flag !== '') return flag;
  const keys = (await readConfig(configPath(env))).detachKeys;
  if (keys === undefined || keys === '') return undefined;
  if (typeof keys !== 'string') throw new InvalidArgument(`loading config file ${configPath(env)}: detachKeys must be a string`);
  return keys;
}
