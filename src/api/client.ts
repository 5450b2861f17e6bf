import http from 'node:http';
import { Duplex, Readable } from 'node:stream';
import { ApiError } from './api-error.js';

export type QueryValue = string | number | boolean | undefined | null | string[] | Record<string, unknown>;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A plain value is sent as JSON; a Buffer or Readable is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ClientOptions {
  socketPath: string;
  /** Path prefix version; berthd serves /v1.41/ whatever it advertises. */
  apiVersion?: string;
  userAgent?: string;
}

/** Encodes query values the way the docker CLI does: booleans as 1/0, objects as JSON. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') params.append(k, v ? '1' : '0');
    else if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else if (typeof v === 'object') params.append(k, JSON.stringify(v));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The `message` of an Engine API error body, or its text when it is not JSON. */
async function errorFrom(res: http.IncomingMessage): Promise<ApiError> {
  const status = res.statusCode ?? 500;
  const text = (await readAll(res)).toString('utf8').trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text as the message, as docker's client does
  }
  if (message === '') message = `${status} ${res.statusMessage ?? ''}`.trim();
  return new ApiError(status, message);
}

interface Prepared {
  options: http.RequestOptions;
  body: Buffer | Readable | undefined;
}

/** A typed Engine API client over a unix socket (node:http with a keep-alive agent). */
export class EngineClient {
  readonly socketPath: string;
  private readonly prefix: string;
  private readonly userAgent: string;
  private readonly agent: http.Agent;

  constructor(opts: ClientOptions) {
    this.socketPath = opts.socketPath;
    this.prefix = opts.apiVersion === undefined ? '/v1.41' : opts.apiVersion === '' ? '' : `/v${opts.apiVersion}`;
    this.userAgent = opts.userAgent ?? 'berth-cli';
    this.agent = new http.Agent({ keepAlive: true });
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private prepare(method: string, path: string, opts: RequestOptions, agent: http.Agent | false): Prepared {
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, ...opts.headers };
    let body: Buffer | Readable | undefined;
    if (opts.body instanceof Readable) {
      body = opts.body;
      headers['Content-Type'] ??= 'application/x-tar';
    } else if (Buffer.isBuffer(opts.body)) {
      body = opts.body;
      headers['Content-Type'] ??= 'application/x-tar';
      headers['Content-Length'] = String(opts.body.length);
    } else if (opts.body !== undefined) {
      body = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const options: http.RequestOptions & { servername: string } = {
      socketPath: this.socketPath,
      method,
      path: `${this.prefix}${path}${encodeQuery(opts.query)}`,
      headers,
      agent,
      // No TLS on a unix socket: an empty server name spares node's http.Agent from testing the
      // host name against its IP patterns, whose first use compiles a large RegExp (~5-8 ms of a
      // CLI command's start).
      servername: '',
    };
    if (opts.signal) options.signal = opts.signal;
    return { options, body };
  }

  /** Sends a request and resolves once the response headers arrive; >= 400 throws ApiError. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const { options, body } = this.prepare(method, path, opts, this.agent);
    return new Promise((resolve, reject) => {
      const req = http.request(options, (res) => {
        if ((res.statusCode ?? 500) >= 400) errorFrom(res).then(reject, reject);
        else resolve(res);
      });
      req.on('error', reject);
      if (body instanceof Readable) {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }

  /** A request whose answer is JSON (or empty, giving undefined). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = (await readAll(res)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer body is not needed (204s, 304s). */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, opts);
    res.resume();
    await new Promise<void>((resolve) => { res.on('end', resolve); res.on('close', resolve); });
    return res.statusCode ?? 0;
  }

  /** A streaming answer (logs, progress, archives) as a Readable. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<Readable> {
    return this.request(method, path, opts);
  }

  /**
   * Hijacks the connection the way the docker CLI does (`Connection: Upgrade`, `Upgrade: tcp`) and
   * resolves with the raw socket after 101. A plain 200 streaming answer (as some servers give) is
   * accepted too: reads come from the body and writes go to the connection.
   */
  hijack(method: string, path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<Duplex> {
    // A hijacked socket never returns to the pool.
    const prepared = this.prepare(method, path, { ...opts, body, headers: { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' } }, false);
    return new Promise((resolve, reject) => {
      const req = http.request(prepared.options);
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          errorFrom(res).then(reject, reject);
          return;
        }
        const sock = res.socket;
        resolve(Duplex.from({ readable: res, writable: sock }));
      });
      req.on('error', reject);
      if (prepared.body instanceof Readable) prepared.body.pipe(req);
      else req.end(prepared.body);
    });
  }
}

/** Splits a JSON-lines progress stream into values (`parse` reads one line; default JSON.parse). */
export async function* jsonLines<T>(stream: Readable, parse: (line: string) => T = (l) => JSON.parse(l) as T): AsyncIterable<T> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield parse(line);
    }
  }
  if (buf.trim() !== '') yield parse(buf.trim());
}
