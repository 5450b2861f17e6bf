import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { GUNZIP_BOUNDARY, GUNZIP_OUTPUT_FULL, nativeResumable, peek, type NativeResumable } from '../../util/index.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface Decompressed {
  compression: Compression;
  /** The uncompressed bytes. */
  chunks: AsyncIterable<Buffer>;
  /** Resolves once the decompressor has exited cleanly; rejects with InvalidArgument otherwise. */
  done(): Promise<void>;
  /** Stops everything (child processes included); safe to call more than once. */
  destroy(): void;
}

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export function sniff(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD)) return 'zstd';
  return 'none';
}


/** A deflate block boundary of a gzip stream: a point the addon's Gunzip can continue from. */
export interface GunzipBoundary {
  /** Offset in the compressed stream. */
  in: number;
  /** Offset in the uncompressed stream. */
  out: number;
  /** The saved state: new Gunzip(state) continues from `in` (see DecompressOptions.resume). */
  state: Buffer;
}

export interface DecompressOptions {
  signal?: AbortSignal;
  /**
   * The layer given starts at a boundary (no sniffing: the bytes start mid-stream): a gzip stream
   * the decompressor continues from its saved state (needs the native addon), or, for an empty
   * state, an uncompressed one.
   */
  resume?: { state: Buffer; in: number };
  /**
   * Hears a boundary about every `every` bytes of output (uncompressed layers, and gzip through
   * the addon), once the consumer has taken every byte before it (it asked for the next chunk).
   */
  boundaries?: { every: number; on: (b: GunzipBoundary) => void };
}

/** Output chunk of the native gunzip. */
const CHUNK = 1 << 20;

/**
 * Undoes gzip (the native addon where it is built, else node:zlib), zstd (`zstd -dc`: Node 20's zlib
 * has none) or nothing, judged by the first bytes, as Docker does.
 */
export async function decompress(layer: AsyncIterable<Uint8Array>, signalOrOpts?: AbortSignal | DecompressOptions): Promise<Decompressed> {
  const opts: DecompressOptions = signalOrOpts instanceof AbortSignal ? { signal: signalOrOpts } : (signalOrOpts ?? {});
  const { signal } = opts;
  const native = nativeResumable();
  if (opts.resume?.state.length === 0) return plain(layer, opts, opts.resume.in);
  if (opts.resume) {
    if (!native) throw new InvalidArgument('continuing a gzip stream needs the native addon');
    return nativeGunzip(native, layer, opts);
  }
  const { head, rest } = await peek(layer, 4);
  const compression = sniff(head);
  if (compression === 'none' && opts.boundaries) return plain(rest, opts, 0);
  if (compression === 'none') return { compression, chunks: rest, done: async () => undefined, destroy: () => void (rest as AsyncGenerator).return(undefined) };
  if (compression === 'gzip' && native) return nativeGunzip(native, rest, opts);
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const input = Readable.from(rest);
    const piped = pipeline(input, gunzip, ...(signal ? [{ signal }] : [])).catch((e: unknown) => {
      throw new InvalidArgument(`invalid gzip layer: ${(e as Error).message}`, { cause: e });
    });
    piped.catch(() => undefined);
    async function* out(): AsyncGenerator<Buffer> {
      try {
        for await (const c of gunzip as AsyncIterable<Buffer>) yield c;
      } catch (e) {
        await piped; // prefer the pipeline's clearer error
        throw new InvalidArgument(`invalid gzip layer: ${(e as Error).message}`, { cause: e });
      }
    }
    return {
      compression,
      chunks: out(),
      done: () => piped,
      destroy: () => {
        input.destroy();
        gunzip.destroy();
      },
    };
  }
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s.slice(0, 4096)));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e) =>
      reject(new Unavailable(`cannot run zstd to decompress the layer: ${e.message}`, { cause: e })),
    );
    child.once('close', (code, sig) => {
      if (code === 0) resolve();
      else reject(new InvalidArgument(`invalid zstd layer: ${stderr.trim() || `zstd exited with ${code ?? sig}`}`));
    });
  });
  exited.catch(() => undefined);
  // EPIPE on stdin when zstd stops early is reported through its exit status instead.
  pipeline(Readable.from(rest), child.stdin).catch(() => undefined);
  return {
    compression,
    chunks: child.stdout as AsyncIterable<Buffer>,
    done: () => exited,
    destroy: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * An uncompressed layer whose first byte is the tar's byte `start`, cut at a boundary (an empty
 * state) every `every` bytes when asked.
 */
function plain(input: AsyncIterable<Uint8Array>, opts: DecompressOptions, start: number): Decompressed {
  const it = input[Symbol.asyncIterator]();
  const every = opts.boundaries?.every ?? 0;
  const onBoundary = opts.boundaries?.on;
  async function* out(): AsyncGenerator<Buffer> {
    let pos = start;
    let next = every > 0 ? (Math.floor(start / every) + 1) * every : 0;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      let c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      while (every > 0 && pos + c.length >= next) {
        const head = c.subarray(0, next - pos);
        c = c.subarray(next - pos);
        if (head.length > 0) yield head;
        pos = next;
        next += every;
        onBoundary?.({ in: pos, out: pos, state: Buffer.alloc(0) });
      }
      if (c.length > 0) yield c;
      pos += c.length;
    }
  }
  return { compression: 'none', chunks: out(), done: async () => undefined, destroy: () => void it.return?.()?.catch(() => undefined) };
}

/**
 * gzip through the addon's Gunzip, on this thread: decompresses each input chunk as it comes into
 * 1 MiB output buffers, and stops at a deflate block boundary when one is wanted.
 */
function nativeGunzip(native: NativeResumable, input: AsyncIterable<Uint8Array>, opts: DecompressOptions): Decompressed {
  const every = opts.boundaries?.every ?? 0;
  const onBoundary = opts.boundaries?.on;
  let g: InstanceType<NativeResumable['Gunzip']>;
  try {
    g = new native.Gunzip(opts.resume?.state);
  } catch (e) {
    throw new InvalidArgument(`cannot continue the gzip stream: ${(e as Error).message}`, { cause: e });
  }
  const res = new Float64Array(2);
  let finished = false;
  let stopped = false;
  const it = input[Symbol.asyncIterator]();
  async function* out(): AsyncGenerator<Buffer> {
    let buf = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    let start = 0;
    let since = 0;
    // Runs one input chunk (empty: what zlib holds back) through; yields as output fills or a boundary is reached.
    async function* run(chunk: Uint8Array): AsyncGenerator<Buffer> {
      let off = 0;
      for (;;) {
        let status: number;
        try {
          status = g.write(chunk, off, buf, used, every > 0 && since >= every, res);
        } catch (e) {
          throw new InvalidArgument(`invalid gzip layer: ${(e as Error).message}`, { cause: e });
        }
        off += res[0]!;
        used += res[1]!;
        since += res[1]!;
        if (status === GUNZIP_BOUNDARY) {
          const [inPos, outPos] = g.position();
          const state = g.saved();
          if (used > start) yield buf.subarray(start, used);
          start = used;
          since = 0;
          onBoundary?.({ in: inPos, out: outPos, state });
        } else if (status === GUNZIP_OUTPUT_FULL) {
          yield buf.subarray(start, used);
          buf = Buffer.allocUnsafe(CHUNK);
          used = start = 0;
        } else return;
      }
    }
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        const r = await it.next();
        if (r.done) break;
        yield* run(r.value);
        if (used > start) yield buf.subarray(start, used);
        start = used;
      }
      yield* run(new Uint8Array(0));
      if (used > start) yield buf.subarray(start, used);
      try {
        g.finish();
      } catch (e) {
        throw new InvalidArgument(`invalid gzip layer: ${(e as Error).message}`, { cause: e });
      }
      finished = true;
    } finally {
      if (!finished) stop();
    }
  }
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    void it.return?.()?.catch(() => undefined);
  };
  return {
    compression: 'gzip',
    chunks: out(),
    done: async () => {
      if (!finished) throw new InvalidArgument('invalid gzip layer: unexpected end of file');
    },
    destroy: stop,
  };
}
