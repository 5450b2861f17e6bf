import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './hpack-huffman.js';

/*
 * Why this exists: gRPC clients in Go (kubelet up to 1.26, crictl 1.26) dial a unix socket with the
 * socket's path as the HTTP/2 `:authority` ("/run/berth/cri.sock"). Node's HTTP/2 server (nghttp2)
 * refuses such a request with RST_STREAM PROTOCOL_ERROR before grpc-js ever sees it, because `/` may
 * not appear in an authority; Go servers (containerd, CRI-O) do not check. Node offers no switch for
 * that check, so berth rewrites the authority's bytes on the way in: each `/` or space becomes `-`,
 * whose Huffman code has the same length, so every length, the HPACK dynamic table's accounting and
 * the frames stay exactly as the client sent them. Nothing else in the stream is touched.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

/** The replacement of each octet an authority may not hold, chosen with a Huffman code of the same length. */
const REPLACE = new Map<number, number>([
  [0x2f, 0x2d], // '/' -> '-'
  [0x20, 0x2d], // ' ' -> '-'
]);

const DECODE = new Map<string, number>();
for (let s = 0; s < 256; s++) DECODE.set(`${HUFFMAN_LENGTHS[s]}:${HUFFMAN_CODES[s]}`, s);

function readBit(buf: Buffer, bit: number): number {
  return ((buf[bit >> 3] as number) >> (7 - (bit & 7))) & 1;
}

function writeBits(buf: Buffer, bit: number, code: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const b = (code >>> (len - 1 - i)) & 1;
    const at = bit + i;
    const mask = 1 << (7 - (at & 7));
    buf[at >> 3] = b ? (buf[at >> 3] as number) | mask : (buf[at >> 3] as number) & ~mask;
  }
}

/** Rewrites a Huffman-coded string in place (`start`..`end` of `buf`); false when it does not decode. */
function sanitizeHuffman(buf: Buffer, start: number, end: number): boolean {
  const bits = (end - start) * 8;
  const sub = buf.subarray(start, end);
  let code = 0;
  let len = 0;
  let symStart = 0;
  for (let i = 0; i < bits; i++) {
    code = code * 2 + readBit(sub, i);
    len++;
    const sym = DECODE.get(`${len}:${code}`);
    if (sym !== undefined) {
      const to = REPLACE.get(sym);
      if (to !== undefined) writeBits(sub, symStart, HUFFMAN_CODES[to] as number, len);
      code = 0;
      len = 0;
      symStart = i + 1;
    } else if (len > 30) {
      return false;
    }
  }
  return true;
}

/** An HPACK integer with an N-bit prefix at `pos`; undefined when the block ends inside it. */
function readInt(b: Buffer, pos: number, prefix: number): { value: number; next: number } | undefined {
  if (pos >= b.length) return undefined;
  const max = (1 << prefix) - 1;
  let value = (b[pos] as number) & max;
  let next = pos + 1;
  if (value < max) return { value, next };
  let shift = 0;
  for (;;) {
    if (next >= b.length || shift > 28) return undefined;
    const byte = b[next++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, next };
  }
}

/** A string literal at `pos`: where its octets are and whether they are Huffman-coded. */
function readString(b: Buffer, pos: number): { start: number; end: number; huffman: boolean } | undefined {
  if (pos >= b.length) return undefined;
  const huffman = ((b[pos] as number) & 0x80) !== 0;
  const n = readInt(b, pos, 7);
  if (!n || n.next + n.value > b.length) return undefined;
  return { start: n.next, end: n.next + n.value, huffman };
}

function isAuthorityName(b: Buffer, s: { start: number; end: number; huffman: boolean }): boolean {
  // A literal name ":authority" (clients use the static index 1; this is the long way round).
  return !s.huffman && b.subarray(s.start, s.end).toString('latin1') === ':authority';
}

/** Rewrites the `:authority` values of one complete header block in place; false if it does not parse. */
export function sanitizeHeaderBlock(b: Buffer): boolean {
  let pos = 0;
  while (pos < b.length) {
    const first = b[pos] as number;
    if (first & 0x80) {
      const i = readInt(b, pos, 7);
      if (!i) return false;
      pos = i.next;
      continue;
    }
    if ((first & 0xe0) === 0x20) {
      const i = readInt(b, pos, 5);
      if (!i) return false;
      pos = i.next;
      continue;
    }
    // Literal with incremental indexing (6-bit name index), or without / never indexed (4-bit).
    const idx = readInt(b, pos, (first & 0xc0) === 0x40 ? 6 : 4);
    if (!idx) return false;
    pos = idx.next;
    let authority = idx.value === 1;
    if (idx.value === 0) {
      const name = readString(b, pos);
      if (!name) return false;
      authority = isAuthorityName(b, name);
      pos = name.end;
    }
    const value = readString(b, pos);
    if (!value) return false;
    if (authority) {
      if (value.huffman) {
        if (!sanitizeHuffman(b, value.start, value.end)) return false;
      } else {
        for (let i = value.start; i < value.end; i++) {
          const to = REPLACE.get(b[i] as number);
          if (to !== undefined) b[i] = to;
        }
      }
    }
    pos = value.end;
  }
  return true;
}

/** Where a HEADERS or CONTINUATION frame's header block fragment lies within the frame. */
function fragmentOf(frame: Buffer): { start: number; end: number } | undefined {
  const type = frame[3] as number;
  const flags = frame[4] as number;
  let start = 9;
  let end = frame.length;
  if (type === HEADERS) {
    if (flags & PADDED) {
      const pad = frame[start] as number;
      start += 1;
      end -= pad;
    }
    if (flags & PRIORITY) start += 5;
  }
  return start <= end ? { start, end } : undefined;
}

/**
 * The client-to-server byte stream of one HTTP/2 connection, passed on with its `:authority` values
 * made acceptable to nghttp2. A header block is held until its last frame (END_HEADERS), the rest
 * goes on as it comes; anything that does not parse as HTTP/2 goes on untouched from there.
 */
export class AuthorityRewriter {
  #pending: Buffer = Buffer.alloc(0);
  #prefaceSeen = false;
  #passthrough = false;
  /** Frames of a header block still waiting for END_HEADERS. */
  #block: Buffer[] = [];

  push(chunk: Buffer): Buffer[] {
    if (this.#passthrough) return [chunk];
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: Buffer[] = [];
    if (!this.#prefaceSeen) {
      if (this.#pending.length < PREFACE.length) {
        if (!PREFACE.subarray(0, this.#pending.length).equals(this.#pending)) return this.#giveUp(out);
        return out;
      }
      if (!this.#pending.subarray(0, PREFACE.length).equals(PREFACE)) return this.#giveUp(out);
      out.push(this.#pending.subarray(0, PREFACE.length));
      this.#pending = this.#pending.subarray(PREFACE.length);
      this.#prefaceSeen = true;
    }
    while (this.#pending.length >= 9) {
      const len = this.#pending.readUIntBE(0, 3);
      if (this.#pending.length < 9 + len) break;
      const raw = this.#pending.subarray(0, 9 + len);
      this.#pending = this.#pending.subarray(9 + len);
      const type = raw[3] as number;
      // Header frames are copied (they may be patched, and the socket's buffer is not ours); the rest
      // goes on as it came.
      const frame = type === HEADERS || type === CONTINUATION ? Buffer.from(raw) : raw;
      if (type !== HEADERS && !(type === CONTINUATION && this.#block.length)) {
        if (this.#block.length) return this.#giveUp(out, frame);
        out.push(frame);
        continue;
      }
      this.#block.push(frame);
      if (((frame[4] as number) & END_HEADERS) === 0) continue;
      if (!this.#patchBlock()) return this.#giveUp(out);
      out.push(...this.#block);
      this.#block = [];
    }
    return out;
  }

  /** Patches the held frames' fragments as one block, writing each part back where it came from. */
  #patchBlock(): boolean {
    const parts: { f: Buffer; start: number; end: number }[] = [];
    for (const f of this.#block) {
      const r = fragmentOf(f);
      if (!r) return false;
      parts.push({ f, ...r });
    }
    const whole = Buffer.concat(parts.map((p) => p.f.subarray(p.start, p.end)));
    if (!sanitizeHeaderBlock(whole)) return false;
    let at = 0;
    for (const p of parts) {
      whole.copy(p.f, p.start, at, at + (p.end - p.start));
      at += p.end - p.start;
    }
    return true;
  }

  #giveUp(out: Buffer[], ...more: Buffer[]): Buffer[] {
    this.#passthrough = true;
    out.push(...this.#block, ...more, this.#pending);
    this.#block = [];
    this.#pending = Buffer.alloc(0);
    return out.filter((b) => b.length > 0);
  }
}
