import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Frames bigger than this end the connection (1009): attach input is keystrokes and pastes. */
const MAX_FRAME = 16 << 20;

const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** The handshake's answer key (RFC 6455 §4.2.2). */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Why a request cannot become a WebSocket, or null when it can. */
export function webSocketRefusal(req: IncomingMessage): string | null {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'expected an Upgrade: websocket request';
  if (!req.headers['sec-websocket-key']) return 'missing Sec-WebSocket-Key';
  const v = req.headers['sec-websocket-version'];
  if (v !== undefined && v !== '13') return `unsupported WebSocket version ${v}`;
  return null;
}

/** One frame from the server: never masked (RFC 6455 §5.1). */
export function encodeWsFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * A WebSocket connection as a byte stream: what the client sends in text or binary messages is
 * read, what is written goes out as one message each (binary, or text for old API versions).
 * Pings are answered; a close from the client ends the readable side and is answered.
 */
export class WebSocketStream extends Duplex {
  #buf: Buffer = Buffer.alloc(0);
  #closeSent = false;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    private readonly opcode: number = OP.binary,
  ) {
    super();
    socket.on('data', (c: Buffer) => this.#onData(c));
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
    if (head.length) this.#onData(head);
  }

  /** Answers the upgrade: the connection speaks WebSocket from here on. */
  static accept(req: IncomingMessage, socket: Duplex, head: Buffer, opts: { binary: boolean; headers?: string }): WebSocketStream {
    const key = String(req.headers['sec-websocket-key']);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}\r\n${opts.headers ?? ''}\r\n`,
    );
    return new WebSocketStream(socket, head, opts.binary ? OP.binary : OP.text);
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      const opcode = (b[0] as number) & 0x0f;
      const masked = ((b[1] as number) & 0x80) !== 0;
      let len = (b[1] as number) & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) return this.#fail(1009);
        len = Number(big);
        off = 10;
      }
      if (len > MAX_FRAME) return this.#fail(1009);
      // Every client frame is masked (RFC 6455 §5.1); an unmasked one ends the connection.
      if (!masked) return this.#fail(1002);
      if (b.length < off + 4 + len) return;
      const mask = b.subarray(off, off + 4);
      const payload = Buffer.from(b.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
      this.#buf = b.subarray(off + 4 + len);
      switch (opcode) {
        case OP.continuation:
        case OP.text:
        case OP.binary:
          if (payload.length && !this.push(payload)) this.socket.pause();
          break;
        case OP.ping:
          this.socket.write(encodeWsFrame(OP.pong, payload));
          break;
        case OP.pong:
          break;
        case OP.close:
          this.#sendClose(payload.subarray(0, 2));
          this.push(null);
          this.socket.end();
          return;
        default:
          return this.#fail(1002);
      }
    }
  }

  #sendClose(code: Buffer): void {
    if (this.#closeSent || this.socket.destroyed) return;
    this.#closeSent = true;
    this.socket.write(encodeWsFrame(OP.close, code));
  }

  #fail(status: number): void {
    const code = Buffer.alloc(2);
    code.writeUInt16BE(status);
    this.#sendClose(code);
    this.socket.end();
    this.push(null);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.#closeSent || this.socket.destroyed) return cb();
    this.socket.write(encodeWsFrame(this.opcode, chunk), (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void): void {
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    this.#sendClose(code);
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
