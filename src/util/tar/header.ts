import { InvalidArgument } from '../../errdefs/index.js';

export const BLOCK = 512;

/** The raw fields of one 512-byte header block, before PAX/GNU overrides are applied. */
export interface RawHeader {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Bytes of a NUL-terminated field. */
function field(b: Buffer, off: number, len: number): Buffer {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return nul === -1 ? f : f.subarray(0, nul);
}

/** Octal (NUL/space padded) or GNU base-256 number. */
export function parseNumeric(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  const first = f[0] ?? 0;
  if (first & 0x80) {
    // Base-256: two's complement big-endian; 0xff marks a negative value.
    const negative = first === 0xff;
    let v = 0;
    for (let i = 0; i < f.length; i++) {
      let byte = f[i] ?? 0;
      if (i === 0) byte &= 0x7f;
      if (negative) byte = ~byte & 0xff;
      v = v * 256 + byte;
    }
    if (!Number.isSafeInteger(v)) throw new InvalidArgument(`invalid tar header: ${what} field out of range`);
    return negative ? -(v + 1) : v;
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new InvalidArgument(`invalid tar header: bad ${what} field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

/** Parses and checksums one header block. */
export function decodeHeader(b: Buffer): RawHeader {
  const stored = parseNumeric(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw new InvalidArgument('invalid tar header: checksum mismatch');

  const magic = b.subarray(257, 263).toString('latin1');
  let name = field(b, 0, 100);
  // POSIX ustar keeps a path prefix at 345; GNU's "ustar  " format uses those bytes for atime/ctime.
  if (magic === 'ustar\0') {
    const prefix = field(b, 345, 155);
    if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from('/'), name]);
  }
  const isUstar = magic.startsWith('ustar');
  return {
    name,
    mode: parseNumeric(b, 100, 8, 'mode'),
    uid: parseNumeric(b, 108, 8, 'uid'),
    gid: parseNumeric(b, 116, 8, 'gid'),
    size: parseNumeric(b, 124, 12, 'size'),
    mtime: parseNumeric(b, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(b[156] ?? 0),
    linkname: field(b, 157, 100),
    uname: isUstar ? field(b, 265, 32).toString('utf8') : '',
    gname: isUstar ? field(b, 297, 32).toString('utf8') : '',
    devmajor: isUstar ? parseNumeric(b, 329, 8, 'devmajor') : 0,
    devminor: isUstar ? parseNumeric(b, 337, 8, 'devminor') : 0,
  };
}

/** Whether `v` fits an octal field of `len` bytes (len-1 digits and a terminator). */
export function fitsOctal(v: number, len: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 8 ** (len - 1);
}

function writeNumeric(b: Buffer, off: number, len: number, v: number): void {
  if (fitsOctal(v, len)) {
    b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
    return;
  }
  // GNU base-256 for what octal cannot hold (big device numbers, ids and sizes when PAX also carries them).
  let x = v < 0 ? -(v + 1) : v;
  for (let i = len - 1; i >= 0; i--) {
    const byte = x % 256;
    b[off + i] = v < 0 ? ~byte & 0xff : byte;
    x = Math.floor(x / 256);
  }
  b[off] = (b[off] ?? 0) | (v < 0 ? 0xff : 0x80);
}

/** What a block is written from: the raw fields plus the ustar name prefix. */
export interface BlockFields extends RawHeader {
  prefix: Buffer;
}

/** Encodes a POSIX ustar header block; callers make sure strings fit (long ones go to PAX). */
export function encodeHeader(f: BlockFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  f.name.copy(b, 0, 0, 100);
  writeNumeric(b, 100, 8, f.mode);
  writeNumeric(b, 108, 8, f.uid);
  writeNumeric(b, 116, 8, f.gid);
  writeNumeric(b, 124, 12, f.size);
  writeNumeric(b, 136, 12, f.mtime);
  b.write(f.typeflag, 156, 1, 'latin1');
  f.linkname.copy(b, 157, 0, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  Buffer.from(f.uname, 'utf8').copy(b, 265, 0, 31);
  Buffer.from(f.gname, 'utf8').copy(b, 297, 0, 31);
  writeNumeric(b, 329, 8, f.devmajor);
  writeNumeric(b, 337, 8, f.devminor);
  f.prefix.copy(b, 345, 0, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] ?? 0;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** Splits a path for ustar's prefix/name fields, or returns null when it cannot be held there. */
export function splitUstarName(name: Buffer): { prefix: Buffer; name: Buffer } | null {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  if (name.length > 256) return null;
  // The prefix ends at a '/', is at most 155 bytes, and the rest at most 100.
  for (let i = Math.min(155, name.length - 1); i > 0; i--) {
    if (name[i] === 0x2f && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    }
  }
  return null;
}

export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
