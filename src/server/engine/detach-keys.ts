import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { InvalidArgument } from '../../errdefs/index.js';

/** Docker's default: ctrl-p then ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Parses Docker's detach-key notation ("ctrl-p,ctrl-q", "a,ctrl-@"); empty means the default. */
export function parseDetachKeys(spec: string): Buffer {
  const s = spec === '' ? DEFAULT_DETACH_KEYS : spec;
  const out: number[] = [];
  for (const part of s.split(',')) {
    if (part.length > 1 && part.startsWith('ctrl-') && part.length === 6) {
      const c = part.charCodeAt(5);
      const lower = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
      if (lower >= 0x61 && lower <= 0x7a) out.push(lower - 0x60);
      else if (c >= 0x40 && c <= 0x5f) out.push(c - 0x40);
      else throw new InvalidArgument(`Invalid escape keys (${spec}) provided`);
    } else if (part.length === 1) {
      out.push(part.charCodeAt(0));
    } else {
      throw new InvalidArgument(`Invalid escape keys (${spec}) provided`);
    }
  }
  return Buffer.from(out);
}

/**
 * Passes input through until the detach sequence arrives, as Docker's escape proxy does: bytes
 * that might begin the sequence are held back, flushed if the sequence breaks, and dropped with
 * a 'detach' event when it completes.
 */
export class DetachScanner extends Transform {
  readonly #keys: Buffer;
  #matched = 0;
  #detached = false;

  constructor(keys: Buffer) {
    super();
    this.#keys = keys;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#detached) return cb();
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.#keys.length > 0 && b === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) {
          this.#detached = true;
          if (out.length > 0) this.push(Buffer.from(out));
          this.emit('detach');
          return cb();
        }
        continue;
      }
      if (this.#matched > 0) {
        out.push(...this.#keys.subarray(0, this.#matched));
        this.#matched = 0;
        if (b === this.#keys[0]) {
          this.#matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    if (out.length > 0) this.push(Buffer.from(out));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#detached && this.#matched > 0) this.push(this.#keys.subarray(0, this.#matched));
    cb();
  }
}
