import { InvalidArgument } from '../../errdefs/index.js';

/** Pulls exact byte counts out of a chunked source without copying whole bodies. */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  /** A next() that has not settled: calling return() now would wait for it forever. */
  private pending = false;
  /** Total bytes consumed so far. */
  offset = 0;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly signal?: AbortSignal,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    this.signal?.throwIfAborted();
    this.pending = true;
    const next = this.it.next();
    void next.then(() => (this.pending = false), () => (this.pending = false));
    const r = this.signal ? await abortable(next, this.signal) : await next;
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** Exactly n bytes; null when the source ends cleanly before them; throws when it ends partway. */
  async readExact(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return null;
        throw truncated();
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** Between 1 and n bytes; throws when the source ends. */
  async readSome(n: number): Promise<Buffer> {
    if (this.buf.length === 0 && !(await this.fill())) throw truncated();
    const take = Math.min(n, this.buf.length);
    const out = this.buf.subarray(0, take);
    this.buf = this.buf.subarray(take);
    this.offset += take;
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.readSome(left)).length;
  }

  /** Skips up to n bytes; false when the source ended first (cleanly, at or inside them). */
  async skipToEnd(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) return false;
      left -= (await this.readSome(left)).length;
    }
    return true;
  }

  /** Stops the source (e.g. a child process or file) once the archive is done with it. */
  async close(): Promise<void> {
    const ret = this.it.return?.();
    if (!ret) return;
    if (this.pending) void ret.catch(() => undefined);
    else await ret;
  }
}

/** Rejects with the abort reason as soon as the signal fires, even while the source stalls. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function truncated(): InvalidArgument {
  return new InvalidArgument('invalid tar header: unexpected end of archive');
}
