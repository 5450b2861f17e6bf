import { ServerResponse, type IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';

/**
 * One request as the handlers see it. `hijack()` gives the raw connection both ways, as Docker's
 * attach and exec start need: with `Upgrade: tcp` it answers `101 UPGRADED`; without it (dockerode)
 * it answers a plain 200 and streams.
 */
export class HttpContext {
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly path: string;
  /** The API version the client asked for (path prefix), or the server's own. */
  readonly version: string;
  readonly signal: AbortSignal;
  readonly #abort = new AbortController();
  #hijacked = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    init: { params: Record<string, string>; query: URLSearchParams; path: string; version: string },
    readonly upgrade: { socket: Duplex; head: Buffer } | null,
  ) {
    this.params = init.params;
    this.query = init.query;
    this.path = init.path;
    this.version = init.version;
    this.signal = this.#abort.signal;
    const socket = upgrade?.socket ?? req.socket;
    const onClose = (): void => this.#abort.abort(new Error('client closed the connection'));
    socket.once('close', onClose);
    // A keep-alive connection serves many requests: each one's listener goes when its response does.
    res.once('close', () => {
      if (!upgrade) socket.off('close', onClose);
      if (!res.writableFinished) onClose();
    });
  }

  /** A boolean query parameter in any of the clients' spellings: 1/0, true/false, True/False. */
  bool(name: string, dflt = false): boolean {
    const v = this.query.get(name);
    if (v === null || v === '') return dflt;
    return !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : undefined;
  }

  get hijacked(): boolean {
    return this.#hijacked;
  }

  sendJson(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const data = Buffer.from(JSON.stringify(body) + '\n');
    this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length, ...headers });
    this.res.end(this.req.method === 'HEAD' ? undefined : data);
  }

  sendStatus(status: number): void {
    this.res.writeHead(status, { 'Content-Length': 0 });
    this.res.end();
  }

  /** Takes over the connection. Returns a duplex: reads are the client's stdin, writes go out raw. */
  hijack(contentType = 'application/vnd.docker.raw-stream'): Duplex {
    this.#hijacked = true;
    if (this.upgrade) {
      const { socket, head } = this.upgrade;
      socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${this.#commonHeaders()}\r\n`,
      );
      if (head.length > 0) socket.unshift(head);
      return socket;
    }
    // Without an upgrade (dockerode), stream a plain 200 response; the request body is stdin.
    this.res.writeHead(200, { 'Content-Type': contentType });
    this.res.flushHeaders();
    return Duplex.from({ readable: this.req, writable: this.res });
  }

  /** Takes over an upgraded connection as it is (WebSocket): the caller answers the upgrade. */
  takeUpgrade(): { socket: Duplex; head: Buffer; headers: string } | null {
    if (!this.upgrade) return null;
    this.#hijacked = true;
    return { ...this.upgrade, headers: this.#commonHeaders() };
  }

  #commonHeaders(): string {
    const h = this.res.getHeaders();
    return Object.entries(h)
      .map(([k, v]) => `${k}: ${String(v)}\r\n`)
      .join('');
  }

  /** Starts a streamed 200 response (JSON message streams, logs without hijack). */
  startStream(contentType: string, status = 200): ServerResponse {
    this.res.writeHead(status, { 'Content-Type': contentType });
    this.res.flushHeaders();
    return this.res;
  }

  async readBody(limit = 16 << 20): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of this.req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > limit) throw new RangeError(`request body over ${limit} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }
}

export function createUpgradeResponse(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  return res;
}
