import { mkdir, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configPath } from '../config-file.js';
import type { Platform } from './manifest.js';

/**
 * The docker CLI's local manifest store, read and written the same way so both CLIs see the same
 * lists: `$DOCKER_CONFIG/manifests/<list>/<image>`, each name the full reference with `:` as `-`
 * and `/` as `_`, each file one image manifest as JSON (its reference, its descriptor with the
 * platform that `manifest annotate` edits, its raw bytes in base64 and the parsed manifest).
 */
export interface StoredManifest {
  Ref: string;
  Descriptor: { mediaType: string; digest: string; size: number; platform?: Platform };
  Raw: string;
  SchemaV2Manifest?: unknown;
  OCIManifest?: unknown;
}

export function storeDir(env: NodeJS.ProcessEnv): string {
  return join(dirname(configPath(env)), 'manifests');
}

export function safeName(ref: string): string {
  return ref.replace(/:/g, '-').replace(/\//g, '_');
}

/** The entries of a list, in the order the docker CLI reads them (by file name); undefined when there is no such list. */
export async function readList(env: NodeJS.ProcessEnv, list: string): Promise<StoredManifest[] | undefined> {
  const dir = join(storeDir(env), safeName(list));
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const out: StoredManifest[] = [];
  for (const n of names) out.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as StoredManifest);
  return out;
}

export async function readEntry(env: NodeJS.ProcessEnv, list: string, image: string): Promise<StoredManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(storeDir(env), safeName(list), safeName(image)), 'utf8')) as StoredManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function writeEntry(env: NodeJS.ProcessEnv, list: string, image: string, m: StoredManifest): Promise<void> {
  const dir = join(storeDir(env), safeName(list));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // Written beside the lists and renamed in: a list directory never holds a half-written entry.
  const tmp = join(storeDir(env), `.${safeName(list)}.${safeName(image)}.tmp`);
  await writeFile(tmp, JSON.stringify(m), { mode: 0o644 });
  await rename(tmp, join(dir, safeName(image)));
}

/** false when there was no such list. */
export async function removeList(env: NodeJS.ProcessEnv, list: string): Promise<boolean> {
  if ((await readList(env, list)) === undefined) return false;
  await rm(join(storeDir(env), safeName(list)), { recursive: true, force: true });
  return true;
}
