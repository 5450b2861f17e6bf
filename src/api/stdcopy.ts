import { Transform, type TransformCallback, Writable } from 'node:stream';
import { InvalidArgument } from '../errdefs/index.js';

/** Stream ids in Docker's multiplexed framing. */
export type StdStream = 0 | 1 | 2;
export const STDIN: StdStream = 0;
export const STDOUT: StdStream = 1;
export const STDERR: StdStream = 2;

const HEADER_LEN = 8;

/** One frame: 8-byte header (stream, 3 zero bytes, uint32 BE length) followed by the payload. */
export function encodeFrame(stream: StdStream, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LEN);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A Transform that frames every chunk written to it as one `stream` frame (the server's side). */
export function createFrameEncoder(stream: StdStream): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      if (chunk.length === 0) { cb(); return; }
      cb(null, encodeFrame(stream, chunk));
    },
  });
}

export interface Frame {
  stream: StdStream;
  payload: Buffer;
}

/**
 * Incremental frame parser: frames may arrive split across chunks or several per chunk.
 * Throws InvalidArgument on a header that is not Docker's (a TTY stream was mistaken for a framed one).
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER_LEN) {
      const type = this.pending[0] ?? 0;
      if (type > 2 || this.pending[1] !== 0 || this.pending[2] !== 0 || this.pending[3] !== 0) {
        throw new InvalidArgument(`Unrecognized input header: ${type}.`);
      }
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_LEN + len) break;
      frames.push({ stream: type as StdStream, payload: this.pending.subarray(HEADER_LEN, HEADER_LEN + len) });
      this.pending = this.pending.subarray(HEADER_LEN + len);
    }
    return frames;
  }

  /** Bytes left over that do not form a whole frame. */
  get remaining(): number {
    return this.pending.length;
  }
}

/**
 * A Writable that splits a multiplexed stream into stdout and stderr, like Go's stdcopy.StdCopy.
 * Writes respect back-pressure of the destination streams.
 */
export function createDemuxer(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Writable {
  const decoder = new FrameDecoder();
  const write = (dest: NodeJS.WritableStream, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const ok = dest.write(data, (err) => { if (err) reject(err); });
      if (ok) resolve(); else dest.once('drain', () => resolve());
    });
  return new Writable({
    write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        cb(e as Error);
        return;
      }
      void (async () => {
        for (const f of frames) {
          if (f.stream === STDERR) await write(stderr, f.payload);
          else await write(stdout, f.payload);
        }
      })().then(() => cb(), (e: unknown) => cb(e as Error));
    },
  });
}
