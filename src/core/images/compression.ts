import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { peek } from '../../util/index.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** The compression of a stream from its first bytes (what `docker load` accepts). */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (b.length >= 3 && b.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

const TOOLS: Record<'zstd' | 'bzip2' | 'xz', string> = { zstd: 'zstd', bzip2: 'bzip2', xz: 'xz' };

/** Decompresses with the system tool (Node has no zstd, bzip2 or xz); errors carry its stderr. */
function toolDecompress(input: Readable, kind: 'zstd' | 'bzip2' | 'xz', signal?: AbortSignal): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const child = spawn(TOOLS[kind], ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const feeding = pipeline(input, child.stdin).catch((e: unknown) => {
    // EPIPE when the tool quits early: its exit status explains why.
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') out.destroy(e as Error);
  });
  child.stdout.pipe(out, { end: false });
  const exited = new Promise<number | null>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res(code));
  });
  void Promise.all([exited, feeding]).then(
    ([code]) => {
      if (code === 0) out.end();
      else out.destroy(new InvalidArgument(`${kind} decompression failed: ${stderr.trim() || `exit status ${code}`}`));
    },
    (e: unknown) => {
      const err = (e as NodeJS.ErrnoException).code === 'ENOENT' ? new Unavailable(`${kind} is needed to decompress this data but is not installed`) : (e as Error);
      out.destroy(err);
    },
  );
  out.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}

/** Wraps `input` (of known compression) in a decompressor; 'none' passes it through. */
export function decompress(input: Readable, kind: Compression, signal?: AbortSignal): Readable {
  switch (kind) {
    case 'none':
      return input;
    case 'gzip': {
      const gz = createGunzip({ chunkSize: 256 * 1024 });
      // pipeline destroys gz with any error; iterating gz then rethrows it, translated for the user.
      pipeline(input, gz, signal ? { signal } : {}).catch(() => undefined);
      return Readable.from(translateErrors(gz));
    }
    case 'zstd':
    case 'bzip2':
    case 'xz':
      return toolDecompress(input, kind, signal);
  }
}

async function* translateErrors(src: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of src) yield chunk as Buffer;
  } catch (e) {
    throw wrapZlib(e);
  }
}

function wrapZlib(e: unknown): Error {
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).code?.startsWith('Z_')) {
    return new InvalidArgument(`invalid gzip data: ${e.message}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Detects the compression of `source` and returns the decompressed stream. */
export async function autoDecompress(source: Readable | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ stream: Readable; compression: Compression }> {
  const { head, rest } = await peek(source, 6);
  const compression = detectCompression(head);
  return { stream: decompress(Readable.from(rest, { objectMode: false }), compression, signal), compression };
}
