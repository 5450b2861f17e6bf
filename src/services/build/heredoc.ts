import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expandHeredoc, type HeredocFile, type Lookup } from '../../core/dockerfile/index.js';
import { InvalidArgument } from '../../errdefs/index.js';

/**
 * A private directory beside the build's context for one step's files (heredocs, downloads, a
 * script), made when `fn` first asks for it and removed after `fn`.
 */
export async function withStepDir<T>(contextDir: string, fn: (dir: () => Promise<string>) => Promise<T>): Promise<T> {
  let made: Promise<string> | null = null;
  try {
    return await fn(() => (made ??= mkdtemp(join(dirname(contextDir), 'step-'))));
  } finally {
    if (made) await rm(await (made), { recursive: true, force: true });
  }
}

function fileName(h: HeredocFile): string {
  if (h.name === '.' || h.name === '..' || h.name.includes('/')) throw new InvalidArgument(`the here-document <<${h.name} cannot become a file: its name must not contain '/'`);
  return h.name;
}

/**
 * COPY/ADD <<EOF: each document becomes a file named by its delimiter (mode 0644 unless --chmod),
 * its build variables expanded when the delimiter was unquoted. Returns the names written in `dir`.
 */
export async function writeInline(dir: string, files: HeredocFile[], lookup: Lookup): Promise<string[]> {
  const names: string[] = [];
  for (const h of files) {
    const name = fileName(h);
    const path = join(dir, name);
    await writeFile(path, h.expand ? expandHeredoc(h.data, lookup) : h.data);
    await chmod(path, 0o644);
    names.push(name);
  }
  return names;
}

/** Where a RUN's `#!` here-document is mounted (read-only) and executed, as in BuildKit. */
export const SCRIPT_DIR = '/dev/pipes';

/** RUN <<EOF starting with `#!`: the script as an executable file, and the bind that shows it in the container. */
export async function writeScript(dir: string, script: HeredocFile): Promise<{ bind: StepBind; path: string }> {
  const name = fileName(script);
  const host = join(dir, name);
  await writeFile(host, script.data);
  await chmod(host, 0o755);
  const path = `${SCRIPT_DIR}/${name}`;
  return { bind: { source: host, target: path }, path };
}

/** A host file or directory shown read-only in a step's container. */
export interface StepBind {
  source: string;
  target: string;
}
