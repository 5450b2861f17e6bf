import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { HttpContext, createUpgradeResponse } from './context.js';
import { Router, stripVersion } from './router.js';

export type Handler = (ctx: HttpContext) => Promise<void> | void;

export interface HttpServerOptions {
  router: Router<Handler>;
  /** Validates the client's version; returns the version to use, or throws. */
  negotiate(requested: string | null): string;
  /** Turns a thrown error into a response (the one place that knows statuses). */
  onError(ctx: HttpContext, err: unknown): void;
  onNotFound(ctx: HttpContext, kind: 'not-found' | 'method-not-allowed'): void;
  /** Headers on every response (API-Version, OSType, Server …). */
  headers: Record<string, string>;
}

/** node:http on a unix socket, routing plain requests and `Upgrade: tcp` hijacks alike. */
export class HttpServer {
  readonly #server: Server;
  readonly #sockets = new Set<Duplex>();

  constructor(private readonly opts: HttpServerOptions) {
    this.#server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      void this.#dispatch(req, res, null);
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#dispatch(req, createUpgradeResponse(req, socket), { socket, head });
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, upgrade: { socket: Duplex; head: Buffer } | null): Promise<void> {
    for (const [k, v] of Object.entries(this.opts.headers)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version: asked, path } = stripVersion(url.pathname);
    let ctx: HttpContext | undefined;
    try {
      const version = this.opts.negotiate(asked);
      const match = this.opts.router.match(req.method ?? 'GET', path);
      ctx = new HttpContext(req, res, { params: typeof match === 'string' ? {} : match.params, query: url.searchParams, path, version }, upgrade);
      if (typeof match === 'string') {
        this.opts.onNotFound(ctx, match);
        return;
      }
      await match.handler(ctx);
    } catch (err) {
      ctx ??= new HttpContext(req, res, { params: {}, query: url.searchParams, path, version: '' }, upgrade);
      if (ctx.hijacked || res.headersSent) {
        // The status line is gone: all that is left is to close the stream.
        (upgrade?.socket ?? req.socket).destroy();
        return;
      }
      this.opts.onError(ctx, err);
    }
  }

  async listen(socketPath: string): Promise<void> {
    await mkdir(dirname(socketPath), { recursive: true });
    await rm(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(socketPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    await chmod(socketPath, 0o660);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
