import { Readable } from 'node:stream';
import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { ByteReader, truncated } from './byte-reader.js';
import { BLOCK, decodeHeader, isZeroBlock, padding, type RawHeader } from './header.js';
import { parsePax, paxNumber, type PaxRecords } from './pax.js';
import type { TarEntry, TarEntryType, TarHeader, TarStart } from './types.js';

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

/** Strips leading './' and '/', and a trailing '/'; the root ('.', './', '/') becomes ''. */
export function normalizeName(raw: string): string {
  let s = raw;
  for (;;) {
    if (s.startsWith('/')) s = s.slice(1);
    else if (s.startsWith('./')) s = s.slice(2);
    else break;
  }
  while (s.endsWith('/')) s = s.slice(0, -1);
  return s === '.' ? '' : s;
}

/** Bodies of metadata entries (PAX, GNU long names) are small; refuse absurd ones instead of buffering them. */
const MAX_META = 1 << 20;

async function readMeta(r: ByteReader, size: number): Promise<Buffer> {
  if (size > MAX_META) throw new InvalidArgument('invalid tar header: metadata entry too large');
  const data = await r.readExact(size);
  if (!data) throw truncated();
  await r.skip(padding(size));
  return Buffer.from(data);
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul === -1 ? b : b.subarray(0, nul)).toString('utf8');
}

function buildHeader(raw: RawHeader, pax: PaxRecords, longName: string | null, longLink: string | null): TarHeader {
  const type = TYPES[raw.typeflag];
  if (!type) {
    if (raw.typeflag === 'S') throw new NotImplemented('sparse tar entries are not supported');
    throw new InvalidArgument(`unhandled tar header type ${JSON.stringify(raw.typeflag)}`);
  }
  const rawName = pax.get('path')?.toString('utf8') ?? longName ?? raw.name.toString('utf8');
  // Pre-POSIX archives mark directories only with a trailing slash on a regular-file entry.
  const finalType: TarEntryType = type === 'file' && raw.typeflag !== '7' && rawName.endsWith('/') ? 'directory' : type;
  const num = (key: string, fallback: number): number => {
    const v = pax.get(key);
    return v ? paxNumber(v, key) : fallback;
  };
  const h: TarHeader = {
    name: normalizeName(rawName),
    type: finalType,
    size: finalType === 'file' ? num('size', raw.size) : 0,
    mode: raw.mode & 0o7777,
    uid: num('uid', raw.uid),
    gid: num('gid', raw.gid),
    mtime: new Date(Math.trunc(num('mtime', raw.mtime) * 1000)),
  };
  const uname = pax.get('uname')?.toString('utf8') ?? raw.uname;
  const gname = pax.get('gname')?.toString('utf8') ?? raw.gname;
  if (uname) h.uname = uname;
  if (gname) h.gname = gname;
  if (finalType === 'symlink' || finalType === 'hardlink') {
    const link = pax.get('linkpath')?.toString('utf8') ?? longLink ?? raw.linkname.toString('utf8');
    h.linkname = finalType === 'hardlink' ? normalizeName(link) : link;
  }
  if (finalType === 'char' || finalType === 'block') {
    h.devmajor = raw.devmajor;
    h.devminor = raw.devminor;
  }
  for (const [k, v] of pax) {
    if (k.startsWith('SCHILY.xattr.')) (h.xattrs ??= {})[k.slice('SCHILY.xattr.'.length)] = v;
  }
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new InvalidArgument('invalid tar header: bad size');
  return h;
}

/**
 * Reads a tar stream (POSIX PAX, ustar, GNU long names, old V7) entry by entry. A bad checksum or
 * truncated archive throws InvalidArgument. PAX global headers are ignored, as Docker does.
 */
export async function* readTar(
  source: Readable | AsyncIterable<Uint8Array>,
  opts: { signal?: AbortSignal; start?: TarStart } = {},
): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source, opts.signal);
  try {
    const start = opts.start;
    if (start) {
      r.offset = start.offset;
      const e = start.entry;
      if (e) {
        // Picked up inside an entry: the rest of its body, then its padding, then on as usual.
        const { header, dataOffset } = e;
        const end = dataOffset + header.size + padding(header.size);
        if (start.offset < dataOffset || start.offset > end) throw new InvalidArgument('invalid tar start: the offset is not inside the entry');
        const bodyFrom = Math.min(start.offset - dataOffset, header.size);
        const body = new BodyStream(r, header.size - bodyFrom);
        try {
          yield { header, body, headerOffset: -1, dataOffset, endOffset: end, bodyFrom };
        } finally {
          await body.finish();
        }
        if (!(await r.skipToEnd(end - r.offset))) return;
      }
    }
    let pax: PaxRecords = new Map();
    let longName: string | null = null;
    let longLink: string | null = null;
    let headerOffset = r.offset;
    for (;;) {
      if (pax.size === 0 && longName === null && longLink === null) headerOffset = r.offset;
      const block = await r.readExact(BLOCK);
      if (!block) {
        // An archive that ends without its zero blocks is accepted when nothing is pending, like GNU tar.
        if (pax.size > 0 || longName !== null || longLink !== null) throw truncated();
        return;
      }
      if (isZeroBlock(block)) return;
      const raw = decodeHeader(block);
      switch (raw.typeflag) {
        case 'x':
          pax = parsePax(await readMeta(r, raw.size));
          continue;
        case 'g':
          await readMeta(r, raw.size);
          continue;
        case 'L':
          longName = cString(await readMeta(r, raw.size));
          continue;
        case 'K':
          longLink = cString(await readMeta(r, raw.size));
          continue;
      }
      const header = buildHeader(raw, pax, longName, longLink);
      pax = new Map();
      longName = null;
      longLink = null;
      const body = new BodyStream(r, header.size);
      try {
        yield { header, body, headerOffset, dataOffset: r.offset, endOffset: r.offset + header.size + padding(header.size), bodyFrom: 0 };
      } finally {
        await body.finish();
      }
      // The docker CLI's legacy build sends an archive that stops inside the last entry's padding
      // (its -f outside the context): accepted as its end, as Go's archive/tar and Docker do.
      if (!(await r.skipToEnd(padding(header.size)))) return;
    }
  } finally {
    await r.close();
  }
}

/** An entry's bytes, read lazily from the shared reader; finish() drains what the consumer left. */
class BodyStream extends Readable {
  private left: number;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly r: ByteReader,
    size: number,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.left = size;
    if (size === 0) this.push(null);
  }

  override _read(n: number): void {
    if (this.pending || this.left === 0) return;
    this.pending = this.r
      .readSome(Math.min(Math.max(n, 64 * 1024), this.left))
      .then(
        (chunk) => {
          this.left -= chunk.length;
          this.pending = null;
          // A view, not a copy (a copy of every byte cost an unpack a tenth of its CPU): the reader
          // never writes into its buffers, and no source of an archive reuses the memory it yielded.
          if (this.push(chunk) && this.left > 0) this._read(n);
          if (this.left === 0) this.push(null);
        },
        (e: unknown) => {
          this.pending = null;
          this.destroy(e instanceof Error ? e : new Error(String(e)));
        },
      );
  }

  async finish(): Promise<void> {
    while (this.pending) await this.pending.catch(() => undefined);
    if (this.left > 0) {
      const n = this.left;
      this.left = 0;
      if (!this.destroyed) this.destroy();
      await this.r.skip(n);
    }
  }
}
