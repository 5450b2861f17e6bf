import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FollowWaker } from './log-follow.js';
import { NotFound } from '../../errdefs/index.js';
import { logChain } from './log-files.js';
import { LOG_RESERVE_BYTES, reserveLogTail } from './log-reserve.js';
import type { LogFile } from './log-files.js';
import { parseLogLine } from './log-format.js';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: Date;
  /** The line including its '\n' if it had one. */
  line: Buffer;
  /** The driver's extra attributes (json-file's attrs), for `logs --details`. */
  attrs?: Record<string, string>;
}

export interface ReadLogsOptions {
  follow?: boolean;
  tail?: number;
  since?: Date;
  until?: Date;
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
  /** Resolves when the container exited: what is left is drained, then the iteration ends. */
  stopWhen?: Promise<unknown>;
  /** Emit P (partial) pieces as they come instead of joining them into lines: attach needs a prompt at once. */
  partials?: boolean;
  /** A live container's follower (its driver, an attach) keeps the log's reserve past its end topped up. */
  keepReserve?: boolean;
}

const CHUNK = 64 * 1024;

/**
 * The file a reader is in, and the number below which every kept file is older than it: its own
 * number, or for a file not named yet the highest number there was when it was opened.
 */
interface Current {
  fh: FileHandle;
  ino: number;
  after: number;
}

/**
 * The offset where the last `n` logical lines start (a logical line is P… lines closed by an F line;
 * trailing P lines without their F count as one). Reads backwards only as far as needed. When the
 * file holds fewer lines, `found` is false and `count` says how many it has (the rest come from the
 * file before it).
 */
async function tailOffset(fh: FileHandle, size: number, n: number): Promise<{ offset: number; found: boolean; count: number }> {
  if (n <= 0) return { offset: size, found: true, count: 0 };
  let pos = size;
  let carry = Buffer.alloc(0);
  let count = 0;
  let sawLine = false;
  // Returns the offset to start at, or -1 to keep going. `lineEnd` is the absolute offset of its '\n'.
  const visit = (line: Buffer, lineEnd: number): number => {
    const parsed = parseLogLine(line);
    if (!parsed) return -1;
    const first = !sawLine;
    sawLine = true;
    if (parsed.partial) {
      if (first) count = 1;
      return -1;
    }
    if (count + 1 > n) return lineEnd + 1;
    count++;
    return -1;
  };
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, pos);
    const data = carry.length ? Buffer.concat([buf, carry]) : buf;
    let end = data.length;
    // The very end of the file: a final '\n' closes the last line, it does not start one.
    if (pos + data.length === size && data[end - 1] === 0x0a) end--;
    for (;;) {
      const nl = data.lastIndexOf(0x0a, end - 1);
      if (nl < 0) break;
      const found = visit(data.subarray(nl + 1, end), pos + end);
      if (found >= 0) return { offset: Math.min(found, size), found: true, count };
      end = nl;
    }
    carry = Buffer.from(data.subarray(0, end));
  }
  // The file's first line, which no '\n' precedes.
  const found = visit(carry, carry.length);
  return found >= 0 ? { offset: Math.min(found, size), found: true, count } : { offset: 0, found: false, count };
}

/** Where `tail` lines before the end of the chain start: a file of the chain and an offset in it. */
async function tailStart(chain: LogFile[], n: number): Promise<{ index: number; offset: number }> {
  let remaining = n;
  for (let i = chain.length - 1; i >= 0; i--) {
    const f = chain[i] as LogFile;
    const fh = await open(f.path, 'r').catch(() => null);
    // Pruned since the listing: everything before it is older still.
    if (!fh) return { index: i + 1, offset: 0 };
    try {
      const r = await tailOffset(fh, (await fh.stat()).size, remaining);
      if (r.found) return { index: i, offset: r.offset };
      remaining -= r.count;
    } finally {
      await fh.close();
    }
  }
  return { index: 0, offset: 0 };
}

/**
 * Reads a conmon k8s-file log and the files rotated out of it (oldest first), joining P partials
 * into whole lines. In follow mode it keeps reading, across rotations, until the signal aborts,
 * `until` passes, or `stopWhen` resolves (then it drains and ends).
 */
export async function* readLogs(path: string, opts: ReadLogsOptions = {}): AsyncIterable<LogEntry> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  let chain = logChain(path);
  if (chain.length === 0) {
    if (!opts.follow) throw new NotFound(`log file ${path} does not exist`);
    await waitForFile(path, opts);
    chain = logChain(path);
  }
  const start = opts.tail !== undefined && opts.tail >= 0 ? await tailStart(chain, opts.tail) : { index: 0, offset: 0 };
  // Without follow the read ends with the file that was current when it began.
  const lastIno = chain.at(-1)?.ino;
  let offset = start.offset;
  const openFrom = async (files: LogFile[], index: number): Promise<Current | null> => {
    for (let i = index; i < files.length; i++) {
      const f = files[i] as LogFile;
      let fh = await open(f.path, 'r').catch(() => null);
      // Renamed since the listing (a .next that got its number): the same file under its new name.
      const moved = fh ? undefined : logChain(path).find((x) => x.ino === f.ino);
      if (moved) fh = await open(moved.path, 'r').catch(() => null);
      if (!fh) continue;
      const named = files.filter((x) => Number.isFinite(x.n)).at(-1)?.n ?? 0;
      return { fh, ino: (await fh.stat()).ino, after: Number.isFinite(f.n) ? f.n : named };
    }
    return null;
  };
  let cur = await openFrom(chain, start.index);
  if (!cur) {
    if (!opts.follow) return;
    await (await waitForFile(path, opts)).close();
    cur = await openFrom(logChain(path), 0);
    if (!cur) return;
  }
  let reservedAt = offset;
  try {
    let rest = Buffer.alloc(0);
    const pending: Record<'stdout' | 'stderr', { time: Date; parts: Buffer[] } | null> = { stdout: null, stderr: null };

    const emit = (stream: 'stdout' | 'stderr', time: Date, line: Buffer): LogEntry | null => {
      if (stream === 'stdout' ? !wantOut : !wantErr) return null;
      if (opts.since && time.getTime() < opts.since.getTime()) return null;
      if (opts.until && time.getTime() > opts.until.getTime()) return null;
      return { stream, time, line };
    };

    /** Reads what the current file has now; returns the entries complete so far. */
    const readFile = async (out: LogEntry[]): Promise<void> => {
      for (;;) {
        const buf = Buffer.alloc(CHUNK);
        const { bytesRead } = await (cur as Current).fh.read(buf, 0, CHUNK, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        if (opts.keepReserve && offset - reservedAt >= LOG_RESERVE_BYTES / 2) {
          reserveLogTail(path);
          reservedAt = offset;
        }
        let data = rest.length ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        let start = 0;
        for (;;) {
          const nl = data.indexOf(0x0a, start);
          if (nl < 0) break;
          const entry = parseLogLine(data.subarray(start, nl));
          start = nl + 1;
          if (!entry) continue;
          const p = pending[entry.stream];
          if (entry.partial && opts.partials) {
            const e = emit(entry.stream, entry.time, Buffer.from(entry.text));
            if (e) out.push(e);
            continue;
          }
          if (entry.partial) {
            if (p) p.parts.push(Buffer.from(entry.text));
            else pending[entry.stream] = { time: entry.time, parts: [Buffer.from(entry.text)] };
            continue;
          }
          const text = p ? Buffer.concat([...p.parts, entry.text, Buffer.from('\n')]) : Buffer.concat([entry.text, Buffer.from('\n')]);
          const time = p ? p.time : entry.time;
          pending[entry.stream] = null;
          const e = emit(entry.stream, time, text);
          if (e) out.push(e);
        }
        data = data.subarray(start);
        rest = Buffer.from(data);
        if (bytesRead < CHUNK) break;
      }
    };
    /** The newest file the last listing showed: while it grows, there is no rotation to look for. */
    let newest = lastIno;
    /**
     * Reads the current file to its end, then the files rotated after it. A file that is no longer
     * the last of the chain gets no more writes (conmon moved on), so one more read finishes it.
     */
    const readMore = async (final = false): Promise<LogEntry[]> => {
      const out: LogEntry[] = [];
      for (;;) {
        const at = cur as Current;
        const before = offset;
        await readFile(out);
        if (!opts.follow && at.ino === lastIno) return out;
        if (opts.follow && !final && offset > before && at.ino === newest) return out;
        const files = logChain(path);
        newest = files.at(-1)?.ino;
        const pos = files.findIndex((f) => f.ino === at.ino);
        const here = files[pos];
        if (here && Number.isFinite(here.n)) at.after = here.n;
        if (pos === files.length - 1) return out;
        let next: number;
        if (pos >= 0) next = pos + 1;
        else if ((await at.fh.stat()).nlink > 0) {
          // Still linked: the listing crossed a rename of berthd's; look again.
          if (opts.follow) return out;
          await sleep(10);
          continue;
        } else {
          // Gone (pruned, or lost to two rotations berthd missed): go on with what is newer.
          next = files.findIndex((f) => f.n > at.after);
          if (next < 0) return out;
        }
        await readFile(out);
        const opened = await openFrom(files, next);
        if (!opened) return out;
        await at.fh.close();
        cur = opened;
        offset = 0;
        // Lines never straddle files; a torn end is what a crash mid-write leaves.
        rest = Buffer.alloc(0);
      }
    };
    /** At the end, a group without its F line is the container's last output without a newline. */
    const flushPartials = (): LogEntry[] => {
      const out: LogEntry[] = [];
      // A last line without its '\n' (only a writer that died mid-line leaves one).
      const last = rest.length ? parseLogLine(rest) : null;
      rest = Buffer.alloc(0);
      if (last) {
        const p = pending[last.stream];
        if (p) p.parts.push(Buffer.from(last.text));
        else pending[last.stream] = { time: last.time, parts: [Buffer.from(last.text)] };
        if (!last.partial) {
          const q = pending[last.stream];
          pending[last.stream] = null;
          const e = q ? emit(last.stream, q.time, Buffer.concat([...q.parts, Buffer.from('\n')])) : null;
          if (e) out.push(e);
        }
      }
      for (const stream of ['stdout', 'stderr'] as const) {
        const p = pending[stream];
        if (!p) continue;
        pending[stream] = null;
        const e = emit(stream, p.time, Buffer.concat(p.parts));
        if (e) out.push(e);
      }
      return out;
    };

    for (const e of await readMore()) yield e;
    if (!opts.follow) {
      yield* flushPartials();
      return;
    }

    const waker = new FollowWaker(path, opts);
    try {
      for (;;) {
        if (waker.done) return;
        const wasStopped = waker.stopped;
        for (const e of await readMore(wasStopped)) yield e;
        if (wasStopped) {
          yield* flushPartials();
          return;
        }
        await waker.wait();
      }
    } finally {
      waker.close();
    }
  } finally {
    await cur.fh.close();
  }
}

/** follow on a log that does not exist yet (container created a moment ago): wait for it. */
async function waitForFile(path: string, opts: ReadLogsOptions): Promise<FileHandle> {
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      return await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
