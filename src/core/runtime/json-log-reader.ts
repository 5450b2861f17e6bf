import type { FileHandle } from 'node:fs/promises';
import { open, readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { jsonLogFiles, parseJsonLogLine } from './json-log.js';
import type { JsonLogEntry } from './json-log.js';
import type { ReadLogsOptions } from './logs.js';
import { FollowWaker } from './log-follow.js';

const CHUNK = 64 * 1024;

function splitEntries(data: Buffer): { entries: JsonLogEntry[]; rest: Buffer } {
  const entries: JsonLogEntry[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, start);
    if (nl < 0) break;
    const e = parseJsonLogLine(data.subarray(start, nl));
    start = nl + 1;
    if (e) entries.push(e);
  }
  return { entries, rest: Buffer.from(data.subarray(start)) };
}

/**
 * Reads a json-file log (the rotated files, oldest first, gzipped ones too, then the current one)
 * as `docker logs` wants it: tail, since/until, one stream or both; with follow it keeps reading
 * the current file, across rotations, until the signal aborts, `until` passes or `stopWhen`
 * resolves (then it drains what is left and ends). Each file is at most max-size, so a whole file
 * in memory is bounded; tail reads only as many files back as it needs.
 */
export async function* readJsonLog(path: string, opts: ReadLogsOptions = {}): AsyncIterable<JsonLogEntry> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const keep = (e: JsonLogEntry): boolean =>
    (e.stream === 'stdout' ? wantOut : wantErr) && !(opts.since && e.time.getTime() < opts.since.getTime()) && !(opts.until && e.time.getTime() > opts.until.getTime());
  const files = jsonLogFiles(path);
  const current = files.at(-1)?.path === path ? files.pop() : undefined;
  // The current file is read through a handle, so a rotation while reading loses nothing.
  let fh: FileHandle | null = current ? await open(path, 'r').catch(() => null) : null;
  let offset = 0;
  let rest: Buffer = Buffer.alloc(0);
  /** The time of the last entry read from a current file: where a file lost to compression is picked up. */
  let lastTime = 0;
  /** The rotated files newer than the one with inode `from` and older than `to`, oldest first. */
  const rotatedBetween = async (from: number, to: number): Promise<{ path: string; gz: boolean }[]> => {
    const list = jsonLogFiles(path);
    const inos = await Promise.all(list.map((f) => stat(f.path).then((s) => s.ino, () => -2)));
    const toAt = inos.indexOf(to);
    const end = toAt < 0 ? list.length : toAt;
    const fromAt = inos.indexOf(from);
    // Not there any more (gzipped into a new file): every rotated file, cut by the time read up to.
    return list.slice(fromAt < 0 ? 0 : fromAt + 1, end).filter((f) => f.path !== path);
  };
  const readCurrent = async (): Promise<JsonLogEntry[]> => {
    const out: JsonLogEntry[] = [];
    if (!fh) return out;
    for (;;) {
      const buf = Buffer.alloc(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      const split = splitEntries(rest.length ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead));
      rest = split.rest;
      out.push(...split.entries.filter(keep));
      if (bytesRead < CHUNK) break;
    }
    const last = out.at(-1);
    if (last) lastTime = last.time.getTime();
    return out;
  };
  const readOld = async (f: { path: string; gz: boolean }): Promise<JsonLogEntry[]> => {
    const bytes = await readFile(f.path).catch(() => null);
    if (!bytes) return [];
    const data = f.gz ? gunzipSync(bytes) : bytes;
    return splitEntries(data.at(-1) === 0x0a ? data : Buffer.concat([data, Buffer.from('\n')])).entries.filter(keep);
  };
  try {
    const first = await readCurrent();
    const tail = opts.tail;
    if (tail !== undefined && tail >= 0) {
      let picked = first.slice(Math.max(0, first.length - tail));
      for (let i = files.length - 1; i >= 0 && picked.length < tail; i--) {
        const older = await readOld(files[i] as { path: string; gz: boolean });
        picked = [...older.slice(Math.max(0, older.length - (tail - picked.length))), ...picked];
      }
      yield* picked;
    } else {
      for (const f of files) yield* await readOld(f);
      yield* first;
    }
    if (!opts.follow) return;
    yield* follow();
  } finally {
    await fh?.close();
  }

  async function* follow(): AsyncIterable<JsonLogEntry> {
    const waker = new FollowWaker(path, opts);
    try {
      for (;;) {
        if (waker.done) return;
        const wasStopped = waker.stopped;
        yield* await readCurrent();
        // A new file under the name: the old one is finished (read to its end below); the files rotated after
        // it (a fast writer rotates several times between two reads) come before the new one.
        const now = await stat(path).catch(() => null);
        const mine = fh ? await fh.stat().catch(() => null) : null;
        if (now && now.ino !== mine?.ino) {
          // What the writer put into the old file between the read above and its rotation.
          yield* await readCurrent();
          const next = await open(path, 'r').catch(() => null);
          const nextIno = next ? (await next.stat()).ino : -1;
          const between = await rotatedBetween(mine?.ino ?? -1, nextIno);
          for (const f of between) yield* (await readOld(f)).filter((e) => !lastTime || e.time.getTime() >= lastTime);
          await fh?.close();
          fh = next;
          offset = 0;
          rest = Buffer.alloc(0);
          yield* await readCurrent();
        } else if (now && mine && now.size < offset) {
          // Started over in place (max-file 1).
          offset = 0;
          rest = Buffer.alloc(0);
          yield* await readCurrent();
        }
        if (wasStopped) return;
        await waker.wait();
      }
    } finally {
      waker.close();
    }
  }
}
