import { closeSync, linkSync, openSync, readdirSync, renameSync, statSync, unlinkSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
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
 * After each rotation (inotify on the prepared file) berthd names the new file, drops the oldest
 * beyond max-file and prepares the next <log>.tmp. The limit of the design: if conmon fills two
 * files before berthd reacts (a writer faster than a loaded berthd, or berthd down), the files in
 * between are lost, never the cap; Docker's json-file instead slows the writer down.
 */

export interface LogRotation {
  /** Bytes per file (conmon's --log-size-max). */
  maxSize: number;
  /** Files kept, the current one included (Docker's json-file max-file). */
  maxFile: number;
}

/** Settle rounds in a row while conmon keeps taking the prepared file at once. */
const MAX_ROUNDS = 64;
/** How often a running container's log is settled even without an event. */
const SAFETY_POLL_MS = 5000;

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

function inode(path: string): { ino: number; size: number } | null {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? { ino: s.ino, size: s.size } : null;
}

function numbered(path: string): LogFile[] {
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LogFile[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !/^\d+$/.test(name.slice(base.length + 1))) continue;
    const p = join(dirname(path), name);
    const s = inode(p);
    if (s) out.push({ path: p, ino: s.ino, n: Number(name.slice(base.length + 1)) });
  }
  return out.sort((a, b) => a.n - b.n);
}

/**
 * The files of one container log, oldest first, each once (by inode): the kept ones, then what
 * conmon rotated into that berthd has not named yet, then the current file.
 */
export function logChain(path: string): LogFile[] {
  // The unnamed files first, the folder after: a .next that berthd renames meanwhile is then
  // found under its number, never missed between the two looks.
  const next = inode(`${path}.next`);
  const tmp = inode(`${path}.tmp`);
  const cur = inode(path);
  const files = numbered(path);
  const seen = new Set(files.map((f) => f.ino));
  if (next && next.size > 0 && next.ino !== tmp?.ino && !seen.has(next.ino)) {
    files.push({ path: `${path}.next`, ino: next.ino, n: Infinity });
    seen.add(next.ino);
  }
  if (cur && !seen.has(cur.ino)) files.push({ path, ino: cur.ino, n: Infinity });
  return files;
}

/** Runs a file operation that may lose a race with conmon or a reader: `code` is fine. */
function tolerate(code: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== code) throw e;
  }
}

/**
 * Names what conmon rotated into, prepares the next file, drops the oldest beyond maxFile.
 * Synchronous on purpose: it runs in the inotify callback, and every moment until the next
 * <log>.tmp exists is a moment in which a second rotation would lose a file.
 */
export function settleLog(path: string, maxFile: number): void {
  // The container was removed (its folder with it): nothing to keep.
  if (!inode(path)) return;
  let nextN = (numbered(path).at(-1)?.n ?? 0) + 1;
  const cur = inode(path);
  const next = inode(`${path}.next`);
  const tmp = inode(`${path}.tmp`);
  if (next && next.ino !== tmp?.ino) {
    // conmon took the prepared file (it is the current one, or one between it and the last named).
    if (next.size > 0 || next.ino === cur?.ino) tolerate('ENOENT', () => renameSync(`${path}.next`, `${path}.${nextN++}`));
    else tolerate('ENOENT', () => unlinkSync(`${path}.next`));
  }
  const now = inode(path);
  if (now && !numbered(path).some((f) => f.ino === now.ino)) tolerate('ENOENT', () => linkSync(path, `${path}.${nextN}`));
  if (!inode(`${path}.tmp`)) {
    tolerate('ENOENT', () => unlinkSync(`${path}.next`));
    closeSync(openSync(`${path}.next`, 'wx', 0o600));
    // conmon may have made its own .tmp meanwhile: then this file waits for the next round.
    tolerate('EEXIST', () => linkSync(`${path}.next`, `${path}.tmp`));
  }
  const files = numbered(path);
  for (const old of files.slice(0, Math.max(0, files.length - maxFile))) tolerate('ENOENT', () => unlinkSync(old.path));
}

/**
 * Before conmon (re)opens the log: conmon counts from zero and appends, so a file with output of an
 * earlier run is rotated first to keep every file under the cap.
 */
export function prepareLogForStart(path: string, maxFile: number): void {
  settleLog(path, maxFile);
  const cur = inode(path);
  if (cur && cur.size > 0) {
    renameSync(`${path}.tmp`, path);
    settleLog(path, maxFile);
  }
}

/** Settles the log after every rotation conmon makes, until closed. */
export class LogRotationWatch {
  readonly #path: string;
  readonly #maxFile: number;
  readonly #onError: (e: unknown) => void;
  #watcher: FSWatcher | null = null;
  #watched: number | undefined;
  #closed = false;
  readonly #poll: NodeJS.Timeout;

  constructor(path: string, rotation: LogRotation, onError: (e: unknown) => void, pollMs = SAFETY_POLL_MS) {
    this.#path = path;
    this.#maxFile = rotation.maxFile;
    this.#onError = onError;
    // A rotation made before the watch began (berthd restarting) is settled at once.
    this.#settle();
    // What a watch cannot see (conmon made its own .tmp while berthd lagged) is caught here.
    this.#poll = setInterval(() => this.#settle(), pollMs);
    this.#poll.unref();
  }

  /**
   * Settles, then watches the prepared file itself (not the folder, which reports every write
   * conmon makes): its first event is conmon renaming it onto the log, the moment of a rotation.
   */
  #settle(): void {
    if (this.#closed) return;
    try {
      // A fast writer may take the new .tmp before it is watched: then settle again at once.
      for (let round = 0; round < MAX_ROUNDS; round++) {
        settleLog(this.#path, this.#maxFile);
        const prepared = inode(`${this.#path}.tmp`)?.ino;
        if (prepared === undefined) continue;
        // The same file still waits (the event was conmon opening it): its rename is still to come.
        if (prepared === this.#watched && this.#watcher) return;
        this.#watcher?.close();
        this.#watcher = null;
        this.#watched = undefined;
        let w: FSWatcher;
        try {
          w = watch(`${this.#path}.tmp`, { persistent: false }, () => this.#settle());
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
        w.on('error', (e) => this.#onError(e));
        this.#watcher = w;
        this.#watched = prepared;
        // Taken between the look and the watch: the watch saw nothing of it.
        if (inode(`${this.#path}.tmp`)?.ino === prepared) return;
      }
    } catch (e) {
      this.#onError(e);
    }
  }

  /** Stops watching after a last round (the container exited: conmon may have rotated at the end). */
  close(): void {
    this.#settle();
    this.#closed = true;
    clearInterval(this.#poll);
    this.#watcher?.close();
    this.#watcher = null;
  }
}
