import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkName } from './names.js';
import { sendJson, type RegistryDeps, type RegistryRequest } from './context.js';
import { reasonOf, registryError, toWireError } from './errors.js';
import { matchRoute } from './routes.js';
import type { Access, Authorizer } from './auth.js';
import type { RegistryHandler } from './context.js';
import { Metrics } from './metrics.js';

export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
  remote: string;
}

export interface RegistryServerOptions {
  deps: RegistryDeps;
  /** One structured line per request. */
  accessLog?: (e: AccessLogEntry) => void;
  /** No authorizer: everyone may do everything (the default on 127.0.0.1). */
  auth?: Authorizer;
  /** GET /token, when the registry issues its own bearer tokens. */
  tokenHandler?: RegistryHandler;
  /** PEM certificate chain and key: serve HTTPS instead of HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Errors worth a log line (500s). */
  onInternalError?: (err: unknown) => void;
}

const DRAIN_LIMIT = 16 << 20;
const COMMON_HEADERS = { 'Docker-Distribution-API-Version': 'registry/2.0' };

/** The OCI distribution server over node:http (TCP); routing on the raw path, errors in the spec's body. */
export class RegistryServer {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  readonly #metrics = new Metrics();
  /** The web page's renderer, loaded on its first request. */
  #ui: Promise<typeof import('./ui.js')> | null = null;

  constructor(private readonly opts: RegistryServerOptions) {}

  /** node:https (and TLS) are loaded only when the registry serves HTTPS. */
  async #create(): Promise<Server> {
    const handle = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    const common = { keepAliveTimeout: 60_000, requestTimeout: 0 };
    const tls = this.opts.tls;
    const server = tls ? (await import('node:https')).createServer({ ...common, cert: tls.cert, key: tls.key }, handle) : createServer(common, handle);
    server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    return server;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const remote = req.socket.remoteAddress ?? '';
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    // The path stays undecoded: `%2e%2e` and `..` must reach the name grammar, never a filesystem.
    const path = q === -1 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    const ac = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) ac.abort();
    };
    res.once('close', onClose);
    let needed: Access[] = [];
    try {
      const method = req.method ?? 'GET';
      const auth = this.opts.auth;
      if (path === '/token' && this.opts.tokenHandler && (method === 'GET' || method === 'POST')) {
        await this.opts.tokenHandler({ req, res, query, repo: '', ref: '', signal: ac.signal, deps: this.opts.deps });
        return;
      }
      if (path === '/metrics' && (method === 'GET' || method === 'HEAD')) {
        if (auth) await auth.check(req, []);
        this.#sendMetrics(res);
        return;
      }
      if ((path === '/' || path.startsWith('/ui/')) && (method === 'GET' || method === 'HEAD')) {
        // The page lists what the catalog and pulls would show: it needs the same rights.
        needed = path === '/' ? [{ type: 'registry', name: 'catalog', actions: ['*'] }] : [{ type: 'repository', name: path.slice('/ui/'.length), actions: ['pull'] }];
        if (auth) await auth.check(req, needed);
        this.#ui ??= import('./ui.js');
        await (await this.#ui).renderUi(path, query, this.opts.deps, res);
        return;
      }
      if (path === '/v2/' || path === '/v2') {
        if (auth) await auth.check(req, []);
        sendJson(res, 200, {});
        return;
      }
      const route = matchRoute(method, path);
      if (!route) throw registryError('NAME_UNKNOWN', { message: 'not found', detail: { path } });
      if (route.repo === '') {
        needed = [{ type: 'registry', name: 'catalog', actions: ['*'] }];
      } else {
        checkName(route.repo);
        needed = [{ type: 'repository', name: route.repo, actions: route.action === 'pull' ? ['pull'] : route.action === 'push' ? ['pull', 'push'] : ['delete'] }];
        const from = query.get('from');
        if (method === 'POST' && from !== null && query.get('mount') !== null && from !== route.repo) {
          needed.push({ type: 'repository', name: checkName(from), actions: ['pull'] });
        }
      }
      if (auth) await auth.check(req, needed);
      if (route.action !== 'pull' && this.opts.deps.readOnly) throw registryError('UNSUPPORTED', { message: 'the registry is in read-only mode' });
      if (route.action !== 'pull' && route.repo !== '' && this.opts.deps.proxy?.route(route.repo)) {
        throw registryError('UNSUPPORTED', { message: 'this repository is a pull-through cache of an upstream registry: it cannot be pushed to' });
      }
      const r: RegistryRequest = { req, res, query, repo: route.repo, ref: route.ref, signal: ac.signal, deps: this.opts.deps };
      await route.handler(r);
    } catch (err) {
      this.#fail(req, res, err, needed);
    } finally {
      const log = this.opts.accessLog;
      const count = (): void => {
        const inBytes = Number(req.headers['content-length'] ?? 0) || 0;
        this.#metrics.request(req.method ?? '', res.statusCode, inBytes, Number(res.getHeader('content-length') ?? 0) || 0);
      };
      if (res.writableFinished) count();
      else res.once('finish', count);
      if (log) {
        const done = (): void =>
          log({
            method: req.method ?? '',
            path: raw,
            status: res.statusCode,
            bytes: Number(res.getHeader('content-length') ?? 0),
            ms: Math.round((performance.now() - t0) * 10) / 10,
            remote,
          });
        if (res.writableFinished) done();
        else res.once('finish', done);
      }
    }
  }

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown, needed: readonly Access[]): void {
    if (res.headersSent || res.destroyed || req.socket.destroyed) {
      res.destroy();
      return;
    }
    if (reasonOf(err) === 'UNKNOWN') this.opts.onInternalError?.(err);
    const { status, body } = toWireError(err);
    const auth = this.opts.auth;
    if (auth && reasonOf(err) === 'UNAUTHORIZED') {
      const d = body.errors[0]?.detail as { error?: 'invalid_token' | 'insufficient_scope' } | undefined;
      res.setHeader('WWW-Authenticate', auth.challenge(req, needed, d?.error));
    }
    // A request body we did not read would otherwise sit in the socket: close the connection instead.
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.readableEnded) {
      sendJson(res, status, body);
      return;
    }
    // Clients (undici, Go) fail a request whose connection closes while they still send: a small
    // unread body is drained first; a large one gets the error and a closed connection.
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared <= DRAIN_LIMIT) {
      req.once('end', () => sendJson(res, status, body));
      req.once('error', () => res.destroy());
      req.resume();
      return;
    }
    sendJson(res, status, body, { Connection: 'close' });
    req.resume();
  }

  #sendMetrics(res: ServerResponse): void {
    const text = this.#metrics.render({
      berth_registry_upload_sessions: { help: 'Upload sessions in progress.', value: this.opts.deps.meta.uploads().length },
      berth_registry_repositories: { help: 'Repositories holding at least one manifest.', value: this.opts.deps.meta.catalog('', 1_000_000).length },
    });
    const data = Buffer.from(text);
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': data.length });
    res.end(data);
  }

  /** Listens on host:port (port 0 picks a free one); returns the bound address. */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = (this.#server ??= await this.#create());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    if (a === null || typeof a === 'string') return { host, port };
    return { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
