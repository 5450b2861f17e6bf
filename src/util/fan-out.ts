/**
 * A bounded byte queue between one writer and one reader. Unlike a PassThrough, a failure is
 * delivered after the bytes queued before it (a download cut midway still hands over what
 * arrived), and a reader that stops early (`return()` or `cancel`) only closes its own side.
 */
export class BytePipe implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #bytes = 0;
  #ended = false;
  #error: { e: unknown } | undefined;
  #closed = false;
  #wakeReader: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;

  /**
   * `onTake` sees the length of each chunk as the reader takes it (progress of a consumer). With
   * `gather`, the reader gets the chunks queued meanwhile joined, up to that many bytes at once (a
   * decompressor is several times faster on big inputs than on the network's 64 KiB).
   */
  constructor(
    readonly limit: number,
    private readonly onTake?: (n: number) => void,
    readonly gather = 0,
  ) {}

  /** The reader left (or was cancelled): pushes are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a chunk; false when the queue is full (wait for `drained()`). */
  push(chunk: Buffer): boolean {
    if (this.#closed) return true;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    this.#wake('reader');
    return this.#bytes < this.limit;
  }

  drained(): Promise<void> {
    if (this.#closed || this.#bytes < this.limit) return Promise.resolve();
    return new Promise((resolve) => (this.#wakeWriter = resolve));
  }

  end(): void {
    this.#ended = true;
    this.#wake('reader');
  }

  /** The reader gets the queued bytes, then `e`. */
  fail(e: unknown): void {
    this.#error ??= { e };
    this.#wake('reader');
  }

  /** Drops what is queued; the reader gets `e` at once, and further pushes are ignored. */
  cancel(e: unknown): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#error ??= { e };
    this.#closed = true;
    this.#wake('reader');
    this.#wake('writer');
  }

  #wake(who: 'reader' | 'writer'): void {
    const f = who === 'reader' ? this.#wakeReader : this.#wakeWriter;
    if (who === 'reader') this.#wakeReader = undefined;
    else this.#wakeWriter = undefined;
    f?.();
  }

  #take(): Buffer | undefined {
    const first = this.#chunks.shift();
    if (first === undefined || this.#chunks.length === 0 || first.length >= this.gather) return first;
    const parts = [first];
    let n = first.length;
    for (let next = this.#chunks[0]; next !== undefined && n + next.length <= this.gather; next = this.#chunks[0]) {
      parts.push(next);
      n += next.length;
      this.#chunks.shift();
    }
    return parts.length === 1 ? first : Buffer.concat(parts, n);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const out = this.#take();
        if (out !== undefined) {
          this.#bytes -= out.length;
          if (this.#bytes < this.limit) this.#wake('writer');
          this.onTake?.(out.length);
          yield out;
          continue;
        }
        if (this.#error) throw this.#error.e;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      }
    } finally {
      this.#closed = true;
      this.#chunks = [];
      this.#bytes = 0;
      this.#wake('writer');
    }
  }
}

/**
 * Copies every chunk of `source` into each pipe, waiting only while one is full (backpressure
 * from the slowest). A pipe whose reader left is skipped from then on, so one consumer giving up
 * does not stop the others. A failing source fails every pipe (after their queued bytes) and
 * rejects; the end of the source ends them. `onChunk` sees each chunk's length as it passes.
 */
export async function fanOut(source: AsyncIterable<Buffer>, pipes: BytePipe[], onChunk?: (n: number) => void): Promise<void> {
  try {
    for await (const chunk of source) {
      onChunk?.(chunk.length);
      let full = false;
      for (const p of pipes) if (!p.push(chunk)) full = true;
      if (full) await Promise.all(pipes.map((p) => p.drained()));
    }
  } catch (e) {
    for (const p of pipes) p.fail(e);
    throw e;
  }
  for (const p of pipes) p.end();
}
