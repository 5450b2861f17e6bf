import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, readdirSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TailReserve } from './log-reserve.js';

/**
 * Docker's json-file format, one entry a line: `{"log":"text\n","stream":"stdout","attrs":{…},"time":"RFC3339Nano"}`.
 * The `log` text keeps its '\n'; a piece without one is a line that had not ended (the last output
 * of a process, or a partial). External log shippers tail these files, so the format is Docker's
 * field for field. berth's `local` driver keeps the same lines (without attrs) in its own folder:
 * Docker's is protobuf-framed, which nothing outside dockerd reads.
 */
export interface JsonLogEntry {
  stream: 'stdout' | 'stderr';
  time: Date;
  /** The text, its '\n' included if it had one. */
  line: Buffer;
  attrs?: Record<string, string>;
}

export function encodeJsonLogLine(e: JsonLogEntry, attrs?: Readonly<Record<string, string>>): string {
  const a = attrs && Object.keys(attrs).length ? `,"attrs":${JSON.stringify(attrs)}` : '';
  return `{"log":${JSON.stringify(e.line.toString('utf8'))},"stream":"${e.stream}"${a},"time":"${e.time.toISOString()}"}\n`;
}

/** One line without its '\n'; null for a line that is not a json-file entry (a torn end). */
export function parseJsonLogLine(line: Buffer | string): JsonLogEntry | null {
  try {
    const o = JSON.parse(line.toString()) as { log?: unknown; stream?: unknown; time?: unknown; attrs?: unknown };
    if (typeof o.log !== 'string' || (o.stream !== 'stdout' && o.stream !== 'stderr') || typeof o.time !== 'string') return null;
    const time = new Date(o.time);
    if (Number.isNaN(time.getTime())) return null;
    const attrs = o.attrs && typeof o.attrs === 'object' ? (o.attrs as Record<string, string>) : undefined;
    return { stream: o.stream, time, line: Buffer.from(o.log, 'utf8'), ...(attrs ? { attrs } : {}) };
  } catch {
    return null;
  }
}

export interface JsonLogRotation {
  /** Bytes per file; 0 or less: one file that grows. */
  maxSize: number;
  /** Files kept, the current one included. */
  maxFile: number;
  /** Rotated files are gzipped (`<log>.1.gz`). */
  compress: boolean;
}

/** Docker's rotated names: `<log>.1` is the newest; `.gz` when compressed. */
export function rotatedName(path: string, n: number, compress: boolean): string {
  return `${path}.${n}${compress ? '.gz' : ''}`;
}

/** The files of a json-file log, oldest first, the current one last. */
export function jsonLogFiles(path: string): { path: string; gz: boolean }[] {
  const base = basename(path);
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated: { n: number; path: string; gz: boolean }[] = [];
  for (const name of names) {
    const m = /^\.(\d+)(\.gz)?$/.exec(name.slice(base.length));
    if (!name.startsWith(base) || !m) continue;
    rotated.push({ n: Number(m[1]), path: join(dir, name), gz: m[2] !== undefined });
  }
  rotated.sort((a, b) => b.n - a.n);
  const out = rotated.map(({ path: p, gz }) => ({ path: p, gz }));
  if (existsSync(path)) out.push({ path, gz: false });
  return out;
}

/**
 * Appends entries to a json-file log and rotates it as Docker's json-file does: before a write
 * would take the file past max-size, `.N-1` becomes `.N` (the oldest goes), the file becomes `.1`
 * (gzipped when asked) and a new file starts. With max-file 1 the file starts over. Writes are
 * synchronous: one writer per container, lines in order, and rotation never races a write.
 */
export class JsonLogWriter {
  #fd: number;
  #size: number;
  #reserve: TailReserve;

  constructor(
    readonly path: string,
    readonly rotation: JsonLogRotation,
    readonly attrs?: Readonly<Record<string, string>>,
  ) {
    this.#fd = openSync(path, 'a', 0o640);
    this.#size = fstatSync(this.#fd).size;
    this.#reserve = new TailReserve(this.#fd);
    this.#reserve.ensure(this.#size);
  }

  write(e: JsonLogEntry): void {
    this.writeRaw(encodeJsonLogLine(e, this.attrs));
  }

  writeRaw(line: string): void {
    const buf = Buffer.from(line, 'utf8');
    if (this.rotation.maxSize > 0 && this.#size > 0 && this.#size + buf.length > this.rotation.maxSize) this.#rotate();
    try {
      for (let done = 0; done < buf.length; ) done += writeSync(this.#fd, buf, done);
    } catch (e) {
      // A line the disk had no room for is not left torn: the file ends with the last whole line.
      try {
        ftruncateSync(this.#fd, this.#size);
      } catch {
        // The next reader skips a torn last line.
      }
      throw e;
    }
    this.#size += buf.length;
    this.#reserve.ensure(this.#size);
  }

  #rotate(): void {
    this.#release();
    closeSync(this.#fd);
    const { maxFile, compress } = this.rotation;
    if (maxFile > 1) {
      for (const gz of [false, true]) {
        try {
          unlinkSync(rotatedName(this.path, maxFile - 1, gz));
        } catch {
          // not there
        }
      }
      for (let n = maxFile - 2; n >= 1; n--) {
        for (const gz of [false, true]) {
          const from = rotatedName(this.path, n, gz);
          if (existsSync(from)) renameSync(from, rotatedName(this.path, n + 1, gz));
        }
      }
      const first = rotatedName(this.path, 1, false);
      renameSync(this.path, first);
      if (compress) {
        writeFileSync(rotatedName(this.path, 1, true), gzipSync(readFileSync(first)));
        unlinkSync(first);
      }
      this.#fd = openSync(this.path, 'a', 0o640);
    } else {
      this.#fd = openSync(this.path, 'w', 0o640);
    }
    this.#size = 0;
    this.#reserve = new TailReserve(this.#fd);
    this.#reserve.ensure(0);
  }

  /** Gives back the blocks reserved past the end: a file that is done with keeps none. */
  #release(): void {
    try {
      ftruncateSync(this.#fd, this.#size);
    } catch {
      // Only space, and only until the file goes.
    }
  }

  close(): void {
    if (this.#fd >= 0) {
      this.#release();
      closeSync(this.#fd);
    }
    this.#fd = -1;
  }
}

/**
 * The last entries of a json-file log's current file that share the last time (read from its end):
 * where a restarted berthd picks up, without repeating those or losing lines of the same millisecond.
 */
export function lastJsonLogEntries(path: string): JsonLogEntry[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    const out: JsonLogEntry[] = [];
    for (let i = lines.length - 1; i >= 0; i--) {
      const e = parseJsonLogLine(lines[i] as string);
      if (!e) continue;
      if (out.length && (out[0] as JsonLogEntry).time.getTime() !== e.time.getTime()) break;
      out.unshift(e);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
