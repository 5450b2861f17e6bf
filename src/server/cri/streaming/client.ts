/**
 * The client side of the streaming protocols, speaking them as client-go does (remotecommand's
 * SPDY and WebSocket executors, portforward's SPDY dialer): used by the tests to drive the server
 * as kubectl would, through kubelet's proxy.
 */
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { CHANNEL, CLOSE_SIGNAL, decodeChannelMessage, encodeChannelMessage, negotiateWsProtocol, EXEC_WS_PROTOCOLS, PORT_FORWARD_WS_PROTOCOLS } from './ws-channels.js';

export type Refused = { kind: 'refused'; status: number; body: string; headers: Record<string, string | string[] | undefined> };
export type Upgraded = { kind: 'spdy'; session: SpdySession; protocol: string; socket: Duplex };

/** Sends the SPDY upgrade request; extra headers replace the usual ones (to test bad upgrades). */
export function spdyConnect(url: string, protocols: string[], extra: Record<string, string> = {}): Promise<Upgraded | Refused> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', ...extra };
    if (protocols.length > 0) headers['X-Stream-Protocol-Version'] = protocols;
    const req = request(url, { method: 'POST', headers });
    req.on('upgrade', (res, socket, head) => {
      const protocol = String(res.headers['x-stream-protocol-version'] ?? '');
      resolve({ kind: 'spdy', session: new SpdySession(socket, 'client', head), protocol, socket });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface SpdyCommandStreams {
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

/** Opens the streams of an exec/attach in client-go's order: error, stdin, stdout, stderr, resize. */
export async function openCommandStreams(session: SpdySession, want: { stdin: boolean; stdout: boolean; stderr: boolean; resize: boolean }): Promise<SpdyCommandStreams> {
  const open = (type: string): Promise<SpdyStream> => session.openStream(new Map([['streamtype', [type]]]));
  const error = await open('error');
  const out: SpdyCommandStreams = { error };
  // The error stream is write-only for the client: client-go closes its side at once.
  error.end();
  if (want.stdin) out.stdin = await open('stdin');
  if (want.stdout) out.stdout = await open('stdout');
  if (want.stderr) out.stderr = await open('stderr');
  if (want.resize) out.resize = await open('resize');
  return out;
}

/** Opens a port forward stream pair (data, error) for one connection, as client-go's dialer does. */
export async function openPortForwardStreams(session: SpdySession, port: number, requestId: number): Promise<{ data: SpdyStream; error: SpdyStream }> {
  const h = (type: string): Map<string, string[]> =>
    new Map([
      ['streamtype', [type]],
      ['port', [String(port)]],
      ['requestid', [String(requestId)]],
    ]);
  const error = await session.openStream(h('error'));
  error.end();
  const data = await session.openStream(h('data'));
  return { data, error };
}

export function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A WebSocket session's messages, gathered per channel. */
export class WsChannelClient {
  readonly received = new Map<number, Buffer[]>();
  readonly closed: Promise<{ code: number }>;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    const p = negotiateWsProtocol([protocol], [...EXEC_WS_PROTOCOLS, ...PORT_FORWARD_WS_PROTOCOLS]) ?? negotiateWsProtocol([], []);
    ws.on('message', (raw: Buffer) => {
      if (!p) return;
      const msg = decodeChannelMessage(p, raw);
      if (msg.kind !== 'data') return;
      const list = this.received.get(msg.channel) ?? [];
      list.push(msg.data);
      this.received.set(msg.channel, list);
      this.waiters.forEach((w) => w());
    });
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => resolve({ code })));
  }

  static connect(url: string, protocols: string[]): Promise<WsChannelClient | Refused> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols);
      ws.once('open', () => resolve(new WsChannelClient(ws, ws.protocol)));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      });
      ws.once('error', reject);
    });
  }

  private get codec() {
    const p = negotiateWsProtocol(this.protocol === '' ? [] : [this.protocol], [...EXEC_WS_PROTOCOLS, ...PORT_FORWARD_WS_PROTOCOLS]);
    if (!p) throw new Error(`unknown protocol ${this.protocol}`);
    return p;
  }

  send(channel: number, data: Buffer | string): void {
    const msg = encodeChannelMessage(this.codec, channel, Buffer.from(data));
    this.ws.send(msg, { binary: typeof msg !== 'string' });
  }

  /** v5's close signal for a channel (stdin). */
  closeChannel(channel: number = CHANNEL.stdin): void {
    this.ws.send(Buffer.from([CLOSE_SIGNAL, channel]));
  }

  text(channel: number): string {
    return Buffer.concat(this.received.get(channel) ?? []).toString();
  }

  /** Resolves when test(text of channel) holds. */
  waitFor(channel: number, test: (text: string) => boolean): Promise<string> {
    return new Promise((resolve) => {
      const check = (): void => {
        const t = this.text(channel);
        if (test(t)) {
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(t);
        }
      };
      this.waiters.push(check);
      check();
    });
  }
}
