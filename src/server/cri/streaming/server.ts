/**
 * The CRI streaming server: Exec, Attach and PortForward RPCs get a URL here
 * (http://ADDR:PORT/exec/<token>, /attach/<token>, /portforward/<token>), kubelet proxies kubectl to
 * it, and the connection is upgraded to SPDY/3.1 (`Upgrade: SPDY/3.1`, subprotocol chosen from
 * X-Stream-Protocol-Version) or to a WebSocket (subprotocol from Sec-WebSocket-Protocol).
 * Each token serves one request and expires after a minute, as kubelet's request cache does.
 *
 * WebSocket framing is the `ws` package's (handleUpgrade on the raw socket; permessage-deflate off,
 * as Kubernetes' clients do not ask for it). SPDY/3.1 is our own: see spdy-frames.ts for why.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { runCommand, type CommandTransport } from './command.js';
import { SPDY_COMMAND_PROTOCOLS, spdyCommandTransport } from './command-spdy.js';
import { wsCommandTransport } from './command-ws.js';
import { errorMessage } from './errors.js';
import { SPDY_PORT_FORWARD_PROTOCOLS, servePortForwardSpdy } from './portforward-spdy.js';
import { servePortForwardWs } from './portforward-ws.js';
import { TOKEN_TTL_MS, TokenCache, checkRequest, type AttachRequest, type ExecRequest, type PortForwardRequest, type StreamRequest } from './requests.js';
import type { StreamRuntime } from './runtime.js';
import { SpdySession } from './spdy-session.js';
import type { CommandOutcome } from './status.js';
import { EXEC_WS_PROTOCOLS, PORT_FORWARD_WS_PROTOCOLS, negotiateWsProtocol } from './ws-channels.js';

export interface StreamingServerOptions {
  /** Address to listen on, e.g. 127.0.0.1 or a node IP. */
  address: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The host the URLs name, when the listening address is not one clients can dial (0.0.0.0, ::):
   * the node's IP, as containerd's stream_server_address.
   */
  advertiseHost?: string;
  runtime: StreamRuntime;
  tokenTtlMs?: number;
  /** How long a SPDY client may take to open its streams (kubelet: 30 s). */
  streamCreationTimeoutMs?: number;
  /** A session with no byte either way for this long is cut, its exec killed (kubelet: 4 h). */
  streamIdleTimeoutMs?: number;
}

const ROUTE = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/;

export class StreamingServer {
  private readonly cache: TokenCache;
  /** The subprotocol chosen for each upgrading request, read back by ws's handleProtocols. */
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => this.chosen.get(req) || false,
  });
  private readonly stopping = new AbortController();
  private readonly sockets = new Set<Duplex>();
  private baseUrl = '';

  private constructor(
    private readonly http: Server,
    private readonly opts: StreamingServerOptions,
  ) {
    this.cache = new TokenCache(opts.tokenTtlMs ?? TOKEN_TTL_MS);
    http.on('request', (req, res) => this.onRequest(req, res));
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: StreamingServerOptions): Promise<StreamingServer> {
    const http = createServer();
    const server = new StreamingServer(http, opts);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port, opts.address, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const a = http.address() as AddressInfo;
    const name = opts.advertiseHost ?? a.address;
    const host = name.includes(':') ? `[${name}]` : name;
    server.baseUrl = `http://${host}:${a.port}`;
    return server;
  }

  /** http://ADDR:PORT of the listening socket. */
  get url(): string {
    return this.baseUrl;
  }

  getExec(request: ExecRequest): string {
    return this.issue({ kind: 'exec', request });
  }
  getAttach(request: AttachRequest): string {
    return this.issue({ kind: 'attach', request });
  }
  getPortForward(request: PortForwardRequest): string {
    return this.issue({ kind: 'portforward', request });
  }

  /** Stops listening and ends every session (exec processes are killed through their signal). */
  async close(): Promise<void> {
    this.stopping.abort();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await closed;
  }

  private issue(r: StreamRequest): string {
    checkRequest(r);
    return `${this.baseUrl}/${r.kind}/${this.cache.insert(r)}`;
  }

  private take(url: string | undefined): StreamRequest | undefined {
    const path = (url ?? '').split('?')[0] ?? '';
    const m = ROUTE.exec(path);
    if (!m) return undefined;
    const r = this.cache.consume(m[2] ?? '');
    return r && r.kind === m[1] ? r : undefined;
  }

  /** A request without an upgrade: the token is spent, as in kubelet, and the client told why. */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const r = req.method === 'GET' || req.method === 'POST' ? this.take(req.url) : undefined;
    if (!r) return plain(res, 404, '404 page not found');
    const protocol = this.negotiateSpdy(req, r);
    if (protocol.error !== undefined) return plain(res, protocol.status, protocol.error, protocol.headers);
    plain(res, 400, `unable to upgrade: missing upgrade headers in request: Connection: ${req.headers.connection ?? ''}, Upgrade: ${req.headers.upgrade ?? ''}`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const r = req.method === 'GET' || req.method === 'POST' ? this.take(req.url) : undefined;
    if (!r) return rawReply(socket, 404, '404 page not found');
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return this.upgradeWebSocket(req, socket, head, r);
    const protocol = this.negotiateSpdy(req, r);
    if (protocol.error !== undefined) return rawReply(socket, protocol.status, protocol.error, protocol.headers);
    if (!upgrade.includes('spdy/3.1')) {
      return rawReply(socket, 400, `unable to upgrade: missing upgrade headers in request: Upgrade: ${req.headers.upgrade ?? ''}`);
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol.name}\r\n\r\n`);
    this.cutWhenIdle(socket);
    const session = new SpdySession(socket, 'server', head);
    const timeout = this.opts.streamCreationTimeoutMs ?? 30_000;
    if (r.kind === 'portforward') {
      void servePortForwardSpdy(session, this.opts.runtime, r.request.podSandboxId, timeout, this.stopping.signal);
      return;
    }
    const stdio = { stdin: r.request.stdin, stdout: r.request.stdout, stderr: r.request.stderr, tty: r.request.tty };
    void spdyCommandTransport(session, protocol.name, stdio, timeout).then((t) => t && this.run(t, r));
  }

  private negotiateSpdy(req: IncomingMessage, r: StreamRequest): { name: string; error?: undefined } | { error: string; status: number; headers?: Record<string, string[]> } {
    const raw = req.headersDistinct['x-stream-protocol-version'] ?? [];
    const offered = raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    if (offered.length === 0) return { error: 'unable to upgrade: X-Stream-Protocol-Version is required', status: 400 };
    const supported = r.kind === 'portforward' ? SPDY_PORT_FORWARD_PROTOCOLS : SPDY_COMMAND_PROTOCOLS;
    const name = offered.find((p) => supported.includes(p));
    if (name === undefined) {
      return {
        error: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
        status: 403,
        headers: { 'X-Accepted-Stream-Protocol-Versions': supported },
      };
    }
    return { name };
  }

  private upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, r: StreamRequest): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
    const allowed = r.kind === 'portforward' ? PORT_FORWARD_WS_PROTOCOLS : EXEC_WS_PROTOCOLS;
    const protocol = negotiateWsProtocol(offered, allowed);
    if (!protocol) {
      return rawReply(socket, 403, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${allowed.join(' ')}]`);
    }
    let ports: number[] = [];
    if (r.kind === 'portforward') {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.getAll('port');
      ports = q.length > 0 ? q.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN)) : r.request.ports;
      const bad = ports.find((p) => !(p >= 1 && p <= 65535));
      if (ports.length === 0) return rawReply(socket, 400, 'query parameter "port" is required');
      if (bad !== undefined) return rawReply(socket, 400, `port ${q.find((p) => !(Number(p) >= 1 && Number(p) <= 65535)) ?? bad} is not a TCP port (1-65535)`);
    }
    this.chosen.set(req, protocol.name);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // After ws took the socket: it clears the socket's timeout.
      this.cutWhenIdle(socket);
      if (r.kind === 'portforward') {
        void servePortForwardWs(ws, protocol, this.opts.runtime, r.request.podSandboxId, ports, this.stopping.signal);
        return;
      }
      const stdio = { stdin: r.request.stdin, stdout: r.request.stdout, stderr: r.request.stderr, tty: r.request.tty };
      void this.run(wsCommandTransport(ws, protocol, stdio), r);
    });
  }

  /** Node's socket timeout restarts with every read and write: it measures idleness. */
  private cutWhenIdle(socket: Duplex): void {
    const idle = this.opts.streamIdleTimeoutMs ?? 4 * 3600_000;
    (socket as Socket).setTimeout?.(idle, () => socket.destroy());
  }

  private run(t: CommandTransport, r: Extract<StreamRequest, { kind: 'exec' | 'attach' }>): Promise<void> {
    const runtime = this.opts.runtime;
    return runCommand(
      t,
      async (io): Promise<CommandOutcome> => {
        if (r.kind === 'exec') {
          try {
            const { exitCode } = await runtime.exec(r.request.containerId, r.request.cmd, io);
            return { kind: 'exited', exitCode, cmd: r.request.cmd };
          } catch (e) {
            return { kind: 'failed', message: `error executing command in container: ${errorMessage(e)}` };
          }
        }
        try {
          await runtime.attach(r.request.containerId, io);
          return { kind: 'exited', exitCode: 0 };
        } catch (e) {
          return { kind: 'failed', message: `error attaching to container: ${errorMessage(e)}` };
        }
      },
      this.stopping.signal,
    );
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string[]> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body + '\n');
}

/** An HTTP answer written on a socket that came through the 'upgrade' event. */
function rawReply(socket: Duplex, status: number, body: string, headers: Record<string, string[]> = {}): void {
  const text = body + '\n';
  const extra = Object.entries(headers).flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}\r\n`)).join('');
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`,
  );
}
