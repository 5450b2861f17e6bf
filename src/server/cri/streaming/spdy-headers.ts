/**
 * SPDY/3 header blocks (§2.6.10): a 32-bit count of name/value pairs, each a 32-bit length and
 * bytes; several values of one name are joined by NUL. Names are lower case on the wire. Each
 * direction of a session compresses its blocks with ONE zlib stream primed with the SPDY/3
 * dictionary, flushed (Z_SYNC_FLUSH) after every block, so blocks must be (de)compressed in the
 * order their frames travel: both classes below serialise their calls.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { InvalidArgument } from '../../../errdefs/index.js';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

/** Header names (lower case) to their values. */
export type SpdyHeaders = Map<string, string[]>;

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.size);
  parts.push(count);
  for (const [name, values] of headers) {
    for (const s of [name.toLowerCase(), values.join('\0')]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const bad = (why: string): never => {
    throw new InvalidArgument(`malformed SPDY header block: ${why}`);
  };
  if (block.length < 4) bad('no pair count');
  const n = block.readUInt32BE(0);
  let off = 4;
  const read = (): string => {
    if (off + 4 > block.length) bad('truncated length');
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) bad('truncated string');
    const s = block.subarray(off, off + len).toString('utf8');
    off += len;
    return s;
  };
  const out: SpdyHeaders = new Map();
  for (let i = 0; i < n; i++) {
    const name = read().toLowerCase();
    if (name === '') bad('empty header name');
    const values = read().split('\0');
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

/** Serialises async jobs on one zlib stream and returns each job's output. */
class ZlibContext {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly z: Deflate | Inflate) {
    // Errors surface through run(); without a listener an 'error' event would throw.
    z.on('error', () => undefined);
  }

  run(input: Buffer): Promise<Buffer> {
    const job = this.tail.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          this.z.once('error', onError);
          this.z.write(input);
          this.z.flush(constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', onError);
            // The output of a flushed write is buffered before its callback runs (paused mode).
            const chunks: Buffer[] = [];
            for (let c = this.z.read() as Buffer | null; c !== null; c = this.z.read() as Buffer | null) chunks.push(c);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.tail = job.catch(() => undefined);
    return job;
  }

  close(): void {
    this.z.destroy();
  }
}

export class HeaderCompressor {
  private readonly ctx = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.ctx.run(encodeHeaderBlock(headers));
  }
  close(): void {
    this.ctx.close();
  }
}

export class HeaderDecompressor {
  private readonly ctx = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }));
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    let raw: Buffer;
    try {
      raw = await this.ctx.run(block);
    } catch (e) {
      throw new InvalidArgument('malformed SPDY header block: it does not decompress', { cause: e });
    }
    return decodeHeaderBlock(raw);
  }
  close(): void {
    this.ctx.close();
  }
}
