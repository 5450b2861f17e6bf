import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { peek } from '../../util/index.js';

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


/**
 * Undoes gzip (node:zlib), zstd (`zstd -dc`: Node 20's zlib has none) or nothing, judged by the
 * first bytes, as Docker does.
 */
export async function decompress(layer: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Decompressed> {
  const { head, rest } = await peek(layer, 4);
  const compression = sniff(head);
  if (compression === 'none') {
    return { compression, chunks: rest, done: async () => undefined, destroy: () => void (rest as AsyncGenerator).return(undefined) };
  }
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
