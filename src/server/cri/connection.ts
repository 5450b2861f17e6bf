import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { AuthorityRewriter } from './authority.js';

/**
 * A client's unix socket as the HTTP/2 server sees it: what the client sends passes through the
 * AuthorityRewriter (see authority.ts for why), what the server sends goes out as it is.
 */
export class RewritingConnection extends Duplex {
  readonly #socket: Socket;

  constructor(socket: Socket) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    const rewriter = new AuthorityRewriter();
    socket.on('data', (chunk: Buffer) => {
      for (const out of rewriter.push(chunk)) if (!this.push(out)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#socket.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#socket.destroy();
    cb(err);
  }
}
