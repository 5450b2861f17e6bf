import { closeSync, constants, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { ApplyCheckpoint, DirTime } from '../../core/diff/index.js';
import type { TarHeader, TarStart } from '../../util/tar/index.js';
import { bootId, sha256, writeRecord, type Digest } from '../../util/index.js';

/** How often (bytes of tar) the unpack's resume point is written down. */
const NOTE_EVERY = 1 << 20;
/** The resume point's record: fixed size, at the file's start; each write overwrites the last. */
const RECORD = 256;
/** A checkpoint record's frame: its payload's length (u32 LE) and sha256, then the payload (JSON). */
const FRAME = 4 + 32;

/**
 * How far a layer's unpack got, in one file beside the layer's temp dir (createLayer's
 * progressFile), so that the next try (after a kill -9 of berthd too) continues it:
 *
 * - the resume point: the offset of the uncompressed tar up to which the dir holds the archive
 *   (one pwrite of a fixed-size record per MiB at the file's start; a write and a rename each time
 *   cost a pull a tenth of its time);
 * - after it, a log of the unpack's checkpoints (ApplyCheckpoint: the decompressor's and the tar
 *   digest's states at a point of the stream, and the directories met since the previous one), each
 *   framed with its sha256. The next try continues from the newest one the dir holds, reading only
 *   the compressed bytes after it; without one it reads the layer from its start and writes only
 *   what is missing.
 *
 * Both are trusted only for the same blob and the same boot (a kill -9 keeps written data in the page
 * cache; a crash of the machine may not): otherwise the dir is emptied and the unpack starts over.
 */
export class UnpackProgress {
  #noted: number;
  #latest: number;
  #fd: number | undefined;
  #logEnd: number;

  private constructor(
    readonly file: string,
    readonly digest: Digest,
    readonly boot: string,
    readonly resumeAt: number,
    /** The checkpoint to continue from, and every directory before it. */
    readonly from: { checkpoint: ApplyCheckpoint; dirs: DirTime[] } | undefined,
    logEnd: number,
  ) {
    this.#noted = resumeAt;
    this.#latest = resumeAt;
    this.#logEnd = logEnd;
  }

  /**
   * Reads what an earlier try left. `kept` is how many bytes of the compressed layer this try has
   * without asking the registry: a checkpoint further in is of no use.
   */
  static async open(file: string, dir: string, digest: Digest, kept: number): Promise<UnpackProgress> {
    const boot = await bootId();
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    let at = 0;
    try {
      const rec = JSON.parse(bytes.subarray(0, RECORD).toString('utf8')) as { digest?: unknown; boot?: unknown; offset?: unknown };
      if (rec.digest === digest && boot !== '' && rec.boot === boot && Number.isSafeInteger(rec.offset) && (rec.offset as number) > 0) at = rec.offset as number;
    } catch {
      // No record (a first try) or an unreadable one: start over.
    }
    if (at === 0) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return new UnpackProgress(file, digest, boot, 0, undefined, RECORD);
    }
    const found = readLog(bytes, digest, boot, at, kept);
    return new UnpackProgress(file, digest, boot, at, found?.from, found?.end ?? RECORD);
  }

  note(offset: number): void {
    this.#latest = offset;
    if (offset - this.#noted >= NOTE_EVERY) this.#write();
  }

  /** Appends a checkpoint to the log (the first one of this try replaces what came after `from`). */
  checkpoint(c: ApplyCheckpoint, dirs: DirTime[]): void {
    const payload = Buffer.from(
      JSON.stringify({
        digest: this.digest,
        boot: this.boot,
        in: c.in,
        out: c.out,
        gunzip: c.gunzip.toString('base64'),
        tarHash: c.tarHash.toString('base64'),
        tar: encodeStart(c.tar),
        dirs,
      }),
    );
    const frame = Buffer.alloc(FRAME);
    frame.writeUInt32LE(payload.length, 0);
    frame.write(sha256(payload).slice('sha256:'.length), 4, 'hex');
    try {
      this.#open();
      writeSync(this.#fd!, Buffer.concat([frame, payload]), 0, FRAME + payload.length, this.#logEnd);
      this.#logEnd += FRAME + payload.length;
    } catch {
      // A checkpoint not written only costs the next try some work.
    }
  }

  /** Writes down the latest point (a failed unpack's next try starts there) and closes the file. */
  close(): void {
    if (this.#latest > this.#noted) this.#write();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    if (this.#fd !== undefined) return;
    this.#fd = openSync(this.file, constants.O_RDWR | constants.O_CREAT, 0o600);
    // What followed the checkpoint continued from (or all of the log, when none) is history now.
    ftruncateSync(this.#fd, this.#logEnd);
  }

  #write(): void {
    this.#noted = this.#latest;
    try {
      this.#open();
      writeRecord(this.#fd!, { digest: this.digest, boot: this.boot, offset: this.#latest }, RECORD);
    } catch {
      // A record not written only costs the next try some work.
    }
  }
}

interface LogRecord {
  digest: string;
  boot: string;
  in: number;
  out: number;
  gunzip: string;
  tarHash: string;
  tar: EncodedStart;
  dirs: DirTime[];
}

/** The newest checkpoint of the log that the dir holds (out ≤ at) and this try can feed (in ≤ kept). */
function readLog(bytes: Buffer, digest: Digest, boot: string, at: number, kept: number): { from: UnpackProgress['from']; end: number } | undefined {
  let pos = RECORD;
  const dirs: DirTime[] = [];
  let best: { from: UnpackProgress['from']; end: number } | undefined;
  while (pos + FRAME <= bytes.length) {
    const len = bytes.readUInt32LE(pos);
    const end = pos + FRAME + len;
    if (end > bytes.length) break;
    const payload = bytes.subarray(pos + FRAME, end);
    if (sha256(payload).slice('sha256:'.length) !== bytes.subarray(pos + 4, pos + FRAME).toString('hex')) break;
    let rec: LogRecord;
    try {
      rec = JSON.parse(payload.toString('utf8')) as LogRecord;
    } catch {
      break;
    }
    if (rec.digest !== digest || rec.boot !== boot || !Array.isArray(rec.dirs) || !Number.isSafeInteger(rec.in) || !Number.isSafeInteger(rec.out)) break;
    dirs.push(...rec.dirs);
    if (rec.out > at || rec.in > kept) break;
    best = {
      from: {
        checkpoint: { in: rec.in, out: rec.out, gunzip: Buffer.from(rec.gunzip, 'base64'), tarHash: Buffer.from(rec.tarHash, 'base64'), tar: decodeStart(rec.tar) },
        dirs: [...dirs],
      },
      end,
    };
    pos = end;
  }
  return best;
}

type EncodedHeader = Omit<TarHeader, 'mtime' | 'xattrs'> & { mtime: number; xattrs?: Record<string, string> };
interface EncodedStart {
  offset: number;
  entry?: { header: EncodedHeader; dataOffset: number };
}

function encodeStart(t: TarStart): EncodedStart {
  if (!t.entry) return { offset: t.offset };
  const { mtime, xattrs, ...rest } = t.entry.header;
  const header: EncodedHeader = { ...rest, mtime: mtime.getTime() };
  if (xattrs) header.xattrs = Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [k, v.toString('base64')]));
  return { offset: t.offset, entry: { header, dataOffset: t.entry.dataOffset } };
}

function decodeStart(t: EncodedStart): TarStart {
  if (!t.entry) return { offset: t.offset };
  const { mtime, xattrs, ...rest } = t.entry.header;
  const header: TarHeader = { ...rest, mtime: new Date(mtime) };
  if (xattrs) header.xattrs = Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return { offset: t.offset, entry: { header, dataOffset: t.entry.dataOffset } };
}
