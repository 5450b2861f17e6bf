import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../../errdefs/index.js';

export const URL_RE = /^https?:\/\//i;
/** Git sources: berth does not build them (no git contexts). */
export const GIT_RE = /^(git@[^:]+:|git:\/\/|ssh:\/\/|https?:\/\/\S+\.git(#\S*)?$|https?:\/\/\S+\.git\/?$)/i;

export interface Downloaded {
  /** The file's name in the step directory: the URL path's last segment, as Docker names it. */
  name: string;
  digest: string;
}

/**
 * The proxy for a URL, as curl reads the variables: the build's HTTP_PROXY/HTTPS_PROXY/NO_PROXY
 * build args first, else berthd's own environment (where dockerd's ADD takes them from).
 */
export function proxyFor(url: URL, args: Record<string, string | null>, env: NodeJS.ProcessEnv = process.env): URL | null {
  const given = (k: string): string | undefined => args[k] ?? args[k.toLowerCase()] ?? undefined;
  const fromBuild = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].some((k) => given(k) !== undefined);
  const get = (k: string): string | undefined => (fromBuild ? given(k) : (env[k] ?? env[k.toLowerCase()] ?? undefined)) || undefined;
  const noProxy = get('NO_PROXY');
  if (noProxy) {
    const host = url.hostname.toLowerCase();
    for (const entry of noProxy.split(',')) {
      const e = entry.trim().toLowerCase().replace(/:\d+$/, '');
      if (e === '*' || (e !== '' && (host === e.replace(/^\./, '') || host.endsWith(e.startsWith('.') ? e : `.${e}`)))) return null;
    }
  }
  const p = url.protocol === 'https:' ? (get('HTTPS_PROXY') ?? get('ALL_PROXY')) : (get('HTTP_PROXY') ?? get('ALL_PROXY'));
  if (!p) return null;
  try {
    return new URL(/^[a-z]+:\/\//i.test(p) ? p : `http://${p}`);
  } catch {
    throw new InvalidArgument(`invalid proxy URL "${p}" in the build's proxy settings`);
  }
}

function proxyAuth(p: URL): Record<string, string> {
  return p.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` } : {};
}

/** One GET, through the proxy when one applies (absolute-URI for http, CONNECT tunnel for https). */
async function get(url: URL, proxy: URL | null, signal: AbortSignal): Promise<IncomingMessage> {
  // TLS is loaded for an https URL only: berthd starts without it (about 3.5 MB of memory).
  const { request: httpsRequest } = url.protocol === 'https:' ? await import('node:https') : { request: null };
  const { connect: tlsConnect } = url.protocol === 'https:' && proxy ? await import('node:tls') : { connect: null };
  return new Promise((resolve, reject) => {
    const headers = { 'user-agent': 'berth-builder', accept: '*/*' };
    const timeout = 60_000;
    if (url.protocol === 'http:') {
      const req = proxy
        ? httpRequest({ host: proxy.hostname, port: proxy.port || 80, path: url.href, headers: { ...headers, host: url.host, ...proxyAuth(proxy) }, signal, timeout })
        : httpRequest(url, { headers, signal, timeout });
      req.once('response', resolve).once('error', reject).once('timeout', () => req.destroy(new Error('no answer within 60 s')));
      req.end();
      return;
    }
    if (!proxy) {
      const req = (httpsRequest as NonNullable<typeof httpsRequest>)(url, { headers, signal, timeout });
      req.once('response', resolve).once('error', reject).once('timeout', () => req.destroy(new Error('no answer within 60 s')));
      req.end();
      return;
    }
    const port = url.port || '443';
    const c = httpRequest({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: `${url.hostname}:${port}`, headers: { host: `${url.hostname}:${port}`, ...proxyAuth(proxy) }, signal, timeout });
    c.once('error', reject).once('timeout', () => c.destroy(new Error('the proxy gave no answer within 60 s')));
    c.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`the proxy refused the tunnel: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const connect = tlsConnect as NonNullable<typeof tlsConnect>;
      const req = (httpsRequest as NonNullable<typeof httpsRequest>)(url, { headers, signal, createConnection: () => connect({ socket, servername: url.hostname }) });
      req.once('response', resolve).once('error', reject);
      req.end();
    });
    c.end();
  });
}

/** The last segment of the URL's path, as Docker and BuildKit name an ADD'ed URL ('__unnamed__' for none). */
export function urlFileName(url: URL): string {
  const base = posix.basename(decodeURIComponent(url.pathname));
  return base === '' || base === '/' || base === '.' || base === '..' ? '__unnamed__' : base;
}

/**
 * ADD <url>: downloads into `dir` (following redirects), checks --checksum, sets the file's mtime
 * from Last-Modified as Docker does; mode 0600 as Docker and BuildKit give it. Errors name the URL.
 */
export async function download(given: string, dir: string, opts: { buildArgs: Record<string, string | null>; checksum?: string; signal: AbortSignal }): Promise<Downloaded> {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new InvalidArgument(`invalid URL ${given}`);
  }
  const name = urlFileName(url);
  let res: IncomingMessage;
  for (let hops = 0; ; hops++) {
    try {
      res = await get(url, proxyFor(url, opts.buildArgs), opts.signal);
    } catch (e) {
      opts.signal.throwIfAborted();
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `cannot resolve ${url.hostname}` : err.code === 'ECONNRESET' ? 'the connection was reset' : err.message;
      throw new InvalidArgument(`failed to download ${given}: ${why}`);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location && hops < 10) {
      res.resume();
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new InvalidArgument(`failed to download ${given}: the server answered ${status} ${res.statusMessage ?? ''}`.trim());
    }
    break;
  }
  const h = createHash('sha256');
  const path = join(dir, name);
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res, tee, createWriteStream(path, { mode: 0o600 }), { signal: opts.signal });
  } catch (e) {
    opts.signal.throwIfAborted();
    throw new InvalidArgument(`failed to download ${given}: the transfer broke off (${(e as Error).message})`);
  }
  const digest = `sha256:${h.digest('hex')}`;
  if (opts.checksum && opts.checksum !== digest) throw new InvalidArgument(`checksum mismatch for ${given}: expected ${opts.checksum}, got ${digest}`);
  const lm = res.headers['last-modified'];
  const when = lm ? new Date(lm) : null;
  if (when && !Number.isNaN(when.getTime())) await utimes(path, when, when);
  return { name, digest };
}
