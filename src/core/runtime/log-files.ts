import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { link, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

/**
 * Log rotation with conmon as the writer.
 *
 * conmon 2.1 has `--log-size-max`: before a write would take the file past the size it opens
 * `<log>.tmp` (O_TRUNC|O_CREAT) and renames it over `<log>`. That keeps the cap exact (each file
 * ≤ max-size, lines never split by the cap) even while berthd is down, but on its own it throws the
 * old file away. berthd keeps the history with hard links, which a rename over `<log>` does not touch:
 *
 *   <log>.<n>     the files kept, numbered upwards (never renamed, so readers can follow them);
 *                 the current file is always one of them once berthd has seen it
 *   <log>.tmp     an empty file berthd prepares, with a second name <log>.next: conmon's O_TRUNC
 *                 finds it empty, and after conmon's rename the new current file already has a
 *                 name berthd owns, so the file before it stays reachable as <log>.<n>.
 *
 * After each rotation (inotify on the directory) berthd names the new file, drops the oldest beyond
 * max-file and prepares the next <log>.tmp. If conmon rotates twice before berthd reacts (a file
 * filled in the time berthd takes to answer, or berthd down), the file in between is lost, never
 * the cap.
 */

export interface LogRotation {
  /** Bytes per file (conmon's --log-size-max). */
  maxSize: number;
  /** Files kept, the current one included (Docker's json-file max-file). */
  maxFile: number;
}

/** berth's default when neither the container nor the daemon sets one: Docker's `local` driver. */
export const DEFAULT_LOG_OPTS: Readonly<Record<string, string>> = { 'max-size': '20m', 'max-file': '5' };

const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNIT = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 } as const;

/** Docker's RAMInBytes: `10m`, `1k`, `512`, `1.5g`, binary units. */
export function parseLogSize(s: string): number {
  const m = SIZE_RE.exec(s.trim());
  if (!m?.[1]) throw new InvalidArgument(`invalid size: '${s}'`);
  const unit = m[2] ? UNIT[m[2].toLowerCase() as keyof typeof UNIT] : 1;
  const n = Math.floor(Number(m[1]) * unit);
  if (!(n > 0)) throw new InvalidArgument(`invalid size: '${s}': max-size must be a positive number`);
  return n;
}

/** Checks json-file options (the only ones berth acts on) and turns them into a rotation. */
export function logRotationFromOpts(opts: Readonly<Record<string, string>>): LogRotation {
  for (const key of Object.keys(opts)) {
    if (key !== 'max-size' && key !== 'max-file') throw new InvalidArgument(`unknown log opt '${key}' for json-file log driver`);
  }
  const size = opts['max-size'] ?? DEFAULT_LOG_OPTS['max-size'] ?? '20m';
  const files = opts['max-file'] ?? DEFAULT_LOG_OPTS['max-file'] ?? '5';
  if (!/^-?\d+$/.test(files.trim())) throw new InvalidArgument(`invalid value for max-file: '${files}': not a whole number`);
  const maxFile = Number(files);
  if (maxFile < 1) throw new InvalidArgument('max-file cannot be less than 1');
  return { maxSize: parseLogSize(size), maxFile };
}

export interface LogFile {
  path: string;
  ino: number;
  /** Position in the chain: the number of a kept file; Infinity for one not named yet. */
  n: number;
}

async function inode(path: string): Promise<{ ino: number; size: number } | null> {
  try {
    const s = await stat(path);
    return { ino: s.ino, size: s.size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function numbered(path: string): Promise<LogFile[]> {
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LogFile[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !/^\d+$/.test(name.slice(base.length + 1))) continue;
    const p = join(dirname(path), name);
    const s = await inode(p);
    if (s) out.push({ path: p, ino: s.ino, n: Number(name.slice(base.length + 1)) });
  }
  return out.sort((a, b) => a.n - b.n);
}

/**
 * The files of one container log, oldest first, each once (by inode): the kept ones, then what
 * conmon rotated into that berthd has not named yet, then the current file.
 */
export async function logChain(path: string): Promise<LogFile[]> {
  const files = await numbered(path);
  const seen = new Set(files.map((f) => f.ino));
  const next = await inode(`${path}.next`);
  const tmp = await inode(`${path}.tmp`);
  if (next && next.size > 0 && next.ino !== tmp?.ino && !seen.has(next.ino)) {
    files.push({ path: `${path}.next`, ino: next.ino, n: Infinity });
    seen.add(next.ino);
  }
  const cur = await inode(path);
  if (cur && !seen.has(cur.ino)) files.push({ path, ino: cur.ino, n: Infinity });
  return files;
}

function ignore(code: string): (e: unknown) => void {
  return (e) => {
    if ((e as NodeJS.ErrnoException).code !== code) throw e;
  };
}

/** Names what conmon rotated into, drops the oldest files beyond maxFile, prepares the next file. */
export async function settleLog(path: string, maxFile: number): Promise<void> {
  // The container was removed (its folder with it): nothing to keep.
  if (!(await inode(path))) return;
  let files = await numbered(path);
  let nextN = (files.at(-1)?.n ?? 0) + 1;
  const cur = await inode(path);
  const next = await inode(`${path}.next`);
  const tmp = await inode(`${path}.tmp`);
  if (next && next.ino !== tmp?.ino) {
    // conmon took the prepared file (it is the current one, or one between it and the last named).
    if (next.size > 0 || next.ino === cur?.ino) await rename(`${path}.next`, `${path}.${nextN++}`).catch(ignore('ENOENT'));
    else await unlink(`${path}.next`).catch(ignore('ENOENT'));
  }
  files = await numbered(path);
  const now = await inode(path);
  if (now && !files.some((f) => f.ino === now.ino)) {
    await link(path, `${path}.${nextN}`).catch(ignore('ENOENT'));
    files = await numbered(path);
  }
  for (const old of files.slice(0, Math.max(0, files.length - maxFile))) await unlink(old.path).catch(ignore('ENOENT'));
  if (!(await inode(`${path}.tmp`))) {
    await unlink(`${path}.next`).catch(ignore('ENOENT'));
    const fh = await open(`${path}.next`, 'wx', 0o600);
    await fh.close();
    // conmon may have made its own .tmp meanwhile: then this file waits for the next round.
    await link(`${path}.next`, `${path}.tmp`).catch(ignore('EEXIST'));
  }
}

/**
 * Before conmon (re)opens the log: conmon counts from zero and appends, so a file with output of an
 * earlier run is rotated first to keep every file under the cap.
 */
export async function prepareLogForStart(path: string, maxFile: number): Promise<void> {
  await settleLog(path, maxFile);
  const cur = await inode(path);
  if (cur && cur.size > 0) {
    await rename(`${path}.tmp`, path);
    await settleLog(path, maxFile);
  }
}

/**
 * Settles the log after every rotation conmon makes, until closed. Rounds never overlap; a
 * rotation during a round runs one more.
 */
export class LogRotationWatch {
  readonly #path: string;
  readonly #maxFile: number;
  readonly #onError: (e: unknown) => void;
  #watcher: FSWatcher | null = null;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(path: string, rotation: LogRotation, onError: (e: unknown) => void) {
    this.#path = path;
    this.#maxFile = rotation.maxFile;
    this.#onError = onError;
    const base = basename(path);
    // Only renames: conmon's writes make 'change' events, its rotation a 'rename' onto the log's name.
    this.#watcher = watch(dirname(path), { persistent: false }, (event, name) => {
      if (event === 'rename' && name === base) this.kick();
    });
    this.#watcher.on('error', (e) => this.#onError(e));
    // A rotation made before the watch began (berthd restarting) is settled at once.
    this.kick();
  }

  kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await settleLog(this.#path, this.#maxFile).catch(this.#onError);
      } while (this.#again);
    })().finally(() => {
      this.#running = null;
    });
  }

  /** Stops watching after a last round (the container exited: conmon may have rotated at the end). */
  async close(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    await this.#running;
    await settleLog(this.#path, this.#maxFile).catch(this.#onError);
  }
}
