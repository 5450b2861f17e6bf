/**
 * A SPDY/3.1 session over an upgraded socket, used as a stream multiplexer the way Kubernetes'
 * spdystream uses it: the client opens streams with SYN_STREAM (headers such as `streamtype`), the
 * server answers each with an empty SYN_REPLY, data flows as DATA frames, FIN half-closes,
 * RST_STREAM aborts, GOAWAY ends the session, PINGs are echoed.
 *
 * Flow control: spdystream neither sends WINDOW_UPDATE nor waits for one, so a peer that enforced
 * SPDY/3.1 windows would stall after 64 KiB. Like spdystream, this session does not enforce send
 * windows and ignores WINDOW_UPDATE and SETTINGS; back-pressure comes from the TCP socket: writes
 * wait for the socket, and a stream whose reader lags pauses reading the socket until it catches
 * up (spdystream blocks its frame loop on a stream's unbuffered channel the same way).
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { FLAG_FIN, FrameParser, GoAwayStatus, RstStatus, encodeFrame, type RawFrame } from './spdy-frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './spdy-headers.js';

/** Data frames are cut at this size so one big write does not hold up the other streams. */
const DATA_CHUNK = 32 * 1024;

export class SpdyStream extends Duplex {
  /** Set when the peer's SYN_REPLY (for a stream we opened) or our reply (for theirs) is sent. */
  replied = false;
  private remoteFinished = false;
  private localFinished = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header, by its name in any case. */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  override _read(): void {
    // Data is pushed as frames arrive; a reader asking for more releases the socket.
    this.session.unblock(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.localFinished = true;
    if (this.session.isClosed) {
      cb();
      return;
    }
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => {
      this.maybeForget();
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.session.unblock(this);
    if (!(this.localFinished && this.remoteFinished)) this.session.forget(this.id);
    cb(err);
  }

  /** Aborts both directions (RST_STREAM CANCEL). */
  reset(): void {
    this.session.sendReset(this.id, RstStatus.cancel);
    this.remoteEnded();
    this.destroy();
  }

  /** @internal */
  remoteData(data: Buffer, fin: boolean): void {
    if (this.remoteFinished) return;
    if (data.length > 0 && !this.push(data)) this.session.block(this);
    if (fin) this.remoteEnded();
  }

  /** @internal the session is over: no more data comes, none can be sent. */
  sessionEnded(): void {
    this.remoteEnded();
    if (!this.writableEnded) this.end();
  }

  /** @internal the peer finished (FIN), reset the stream or the session ended. */
  remoteEnded(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
    this.maybeForget();
  }

  private maybeForget(): void {
    if (this.localFinished && this.remoteFinished) this.session.forget(this.id);
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

/**
 * role 'server' answers streams the client opens (odd ids); role 'client' opens them. The socket
 * must already be upgraded; `head` is any byte read past the HTTP headers.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingReplies = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  /** Outbound frames leave in the order they were queued (header blocks share one zlib stream). */
  private out: Promise<void> = Promise.resolve();
  /** Inbound frames are handled one after another for the same reason. */
  private inbound: Promise<void> = Promise.resolve();
  private nextId: number;
  private lastRemoteId = 0;
  private closedFlag = false;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Duplex,
    readonly role: 'server' | 'client',
    head?: Buffer,
  ) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    this.closed = new Promise((resolve) => this.once('close', resolve));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    // The end of the socket comes after the frames before it, which may still be decompressing.
    const after = (): void => void (this.inbound = this.inbound.then(() => this.shutdown()));
    socket.on('end', after);
    socket.on('close', after);
    socket.on('error', after);
    if (head && head.length > 0) this.onBytes(head);
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Opens a stream (client side) and resolves when the peer replies. */
  openStream(headers: SpdyHeaders): Promise<SpdyStream> {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const replied = new Promise<SpdyStream>((resolve, reject) => this.pendingReplies.set(id, { resolve, reject }));
    // A SYN that cannot go out (the session closed) fails the open, rather than going unheard.
    this.queue(async () => {
      const headerBlock = await this.compressor.compress(headers);
      return encodeFrame({ kind: 'syn_stream', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, flags: 0, headerBlock });
    }).catch((e: unknown) => {
      this.pendingReplies.get(id)?.reject(e instanceof Error ? e : new Error(String(e)));
      this.pendingReplies.delete(id);
    });
    return replied;
  }

  /** Answers a stream the peer opened. */
  reply(stream: SpdyStream, headers: SpdyHeaders = new Map()): Promise<void> {
    stream.replied = true;
    return this.queue(async () => {
      const headerBlock = await this.compressor.compress(headers);
      return encodeFrame({ kind: 'syn_reply', streamId: stream.id, flags: 0, headerBlock });
    });
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    if (this.closedFlag) return Promise.reject(new Error('the SPDY session is closed'));
    const frames: Buffer[] = [];
    for (let off = 0; off < data.length; off += DATA_CHUNK) {
      const last = off + DATA_CHUNK >= data.length;
      frames.push(encodeFrame({ kind: 'data', streamId, flags: fin && last ? FLAG_FIN : 0, data: data.subarray(off, off + DATA_CHUNK) }));
    }
    if (data.length === 0) frames.push(encodeFrame({ kind: 'data', streamId, flags: fin ? FLAG_FIN : 0, data }));
    return this.queue(() => Promise.resolve(Buffer.concat(frames)));
  }

  /** @internal */
  sendReset(streamId: number, status: number): void {
    if (this.closedFlag) return;
    void this.queue(() => Promise.resolve(encodeFrame({ kind: 'rst_stream', streamId, status }))).catch(() => undefined);
  }

  private readonly blocked = new Set<SpdyStream>();

  /** @internal a stream's reader is behind: stop reading the socket. */
  block(s: SpdyStream): void {
    this.blocked.add(s);
    this.socket.pause();
  }

  /** @internal */
  unblock(s: SpdyStream): void {
    if (this.blocked.delete(s) && this.blocked.size === 0 && !this.closedFlag) this.socket.resume();
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Sends GOAWAY after everything queued, then ends the socket. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    await this.queue(() => Promise.resolve(encodeFrame({ kind: 'goaway', lastGoodStreamId: this.lastRemoteId, status: GoAwayStatus.ok }))).catch(() => undefined);
    this.socket.end();
    this.shutdown();
  }

  /** Drops the session at once (a peer that misbehaves, a server that stops). */
  destroy(): void {
    this.socket.destroy();
    this.shutdown();
  }

  private queue(make: () => Promise<Buffer>): Promise<void> {
    const job = this.out.then(async () => {
      const bytes = await make();
      if (this.closedFlag || this.socket.destroyed) throw new Error('the SPDY session is closed');
      await new Promise<void>((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
    });
    this.out = job.catch(() => undefined);
    return job;
  }

  private onBytes(chunk: Buffer): void {
    let frames: RawFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const f of frames) {
      this.inbound = this.inbound.then(() => this.handle(f)).catch(() => this.destroy());
    }
  }

  private async handle(f: RawFrame): Promise<void> {
    switch (f.kind) {
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const fromPeer = this.role === 'server' ? f.streamId % 2 === 1 : f.streamId % 2 === 0;
        if (!fromPeer || f.streamId <= this.lastRemoteId || this.streams.has(f.streamId)) {
          this.sendReset(f.streamId, RstStatus.protocolError);
          return;
        }
        this.lastRemoteId = f.streamId;
        const stream = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, stream);
        if (f.flags & FLAG_FIN) stream.remoteEnded();
        this.emit('stream', stream);
        return;
      }
      case 'syn_reply': {
        await this.decompressor.decompress(f.headerBlock);
        const stream = this.streams.get(f.streamId);
        const pending = this.pendingReplies.get(f.streamId);
        if (!stream || !pending) return;
        this.pendingReplies.delete(f.streamId);
        stream.replied = true;
        pending.resolve(stream);
        if (f.flags & FLAG_FIN) stream.remoteEnded();
        return;
      }
      case 'headers': {
        await this.decompressor.decompress(f.headerBlock);
        if (f.flags & FLAG_FIN) this.streams.get(f.streamId)?.remoteEnded();
        return;
      }
      case 'data': {
        const stream = this.streams.get(f.streamId);
        if (!stream) return;
        stream.remoteData(f.data, (f.flags & FLAG_FIN) !== 0);
        return;
      }
      case 'rst_stream': {
        const stream = this.streams.get(f.streamId);
        const pending = this.pendingReplies.get(f.streamId);
        if (pending) {
          this.pendingReplies.delete(f.streamId);
          pending.reject(new Error(`the peer refused stream ${f.streamId} (status ${f.status})`));
        }
        if (stream) {
          stream.remoteEnded();
          stream.destroy();
        }
        return;
      }
      case 'ping': {
        // Echo pings the peer started: ids of the other parity than ours.
        const ours = this.role === 'client' ? 1 : 0;
        if (f.id % 2 !== ours) await this.queue(() => Promise.resolve(encodeFrame(f)));
        return;
      }
      case 'goaway':
        this.socket.end();
        this.shutdown();
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private shutdown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const [, p] of this.pendingReplies) p.reject(new Error('the SPDY session closed before the stream was answered'));
    this.pendingReplies.clear();
    // Streams keep what they received for their readers; only writing is over.
    for (const s of [...this.streams.values()]) s.sessionEnded();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.emit('close');
  }
}
