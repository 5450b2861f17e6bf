import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { ReadStream, WriteStream } from 'node:tty';
import { closeFd, dupFd, openPtyPair, setWindowSize } from '../../sys/index.js';

/** A pty whose slave end is handed to a child process, its master end as Node streams. */
export interface Pty {
  /** Give this fd to the child as its stdio, then call releaseSlave(). */
  readonly slave: number;
  releaseSlave(): void;
  output: Readable;
  input: Writable;
  resize(height: number, width: number): void;
  /** Resolves once the output reached its end (every slave closed: EIO), or after a grace time. */
  drained(): Promise<void>;
  close(): void;
}

/**
 * Opens a pty pair. libuv polls a tty fd non-blocking; reads and writes use two fds (a dup)
 * because libuv allows one handle per fd. The end of a pty is EIO, not EOF.
 */
export function openPty(size?: { height: number; width: number }): Pty {
  const { master, slave } = openPtyPair();
  if (size && size.height > 0 && size.width > 0) setWindowSize(master, size.height, size.width);
  const writeFd = dupFd(master);
  const reader = new ReadStream(master);
  const writer = new WriteStream(writeFd);
  const output = new PassThrough();
  let closed = false;
  let slaveOpen = true;
  let ended = false;
  const endOutput = (): void => {
    if (ended) return;
    ended = true;
    output.end();
  };
  const drained = new Promise<void>((resolve) => output.once('end', resolve).once('close', resolve));
  reader.on('data', (d: Buffer) => {
    if (!output.write(d)) {
      reader.pause();
      output.once('drain', () => reader.resume());
    }
  });
  reader.once('end', endOutput);
  reader.once('error', endOutput);
  writer.on('error', () => undefined);
  const input = new PassThrough();
  input.pipe(writer, { end: false });
  const releaseSlave = (): void => {
    if (!slaveOpen) return;
    slaveOpen = false;
    closeFd(slave);
  };
  return {
    slave,
    releaseSlave,
    output,
    input,
    resize: (h, w) => {
      if (!closed && h > 0 && w > 0) setWindowSize(master, h, w);
    },
    drained: async () => {
      await Promise.race([drained, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
    close: () => {
      if (closed) return;
      closed = true;
      releaseSlave();
      endOutput();
      input.unpipe(writer);
      reader.destroy();
      writer.destroy();
    },
  };
}
