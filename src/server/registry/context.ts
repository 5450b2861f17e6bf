import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContentStore } from '../../core/content/index.js';
import type { RegistryMetadata } from './metadata.js';
import type { Uploads } from './uploads.js';
import type { ManifestCache } from './manifest-cache.js';
import type { PullThrough } from './proxy.js';
import type { FileSender } from './file-sender.js';

/** What every handler may use: the storage roles, wired by registryd. */
export interface RegistryDeps {
  content: ContentStore;
  meta: RegistryMetadata;
  uploads: Uploads;
  manifests: ManifestCache;
  /** Sends blob bytes to clients. */
  files: FileSender;
  /** Refuse every write (read-only mode, e.g. during maintenance). */
  readOnly: boolean;
  /** Pull-through cache mode: repositories an upstream serves are fetched from it. */
  proxy?: PullThrough;
}

/** One request: the raw path parts the route matched, the query, and a signal that fires when the client leaves. */
export interface RegistryRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** Repository name, checked against the grammar; '' for /v2/ and /v2/_catalog. */
  repo: string;
  /** The route's last path segment (digest, tag or upload UUID), raw. */
  ref: string;
  signal: AbortSignal;
  deps: RegistryDeps;
}

export type RegistryHandler = (r: RegistryRequest) => Promise<void> | void;

/** Ends a response with no body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}, contentType = 'application/json'): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': data.length, ...headers });
  res.end(data);
}

/** The body of a small request (manifests), refusing more than `max` bytes with `onTooLarge`. */
export async function readSmallBody(req: IncomingMessage, max: number, onTooLarge: () => Error): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw onTooLarge();
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw onTooLarge();
    chunks.push(c);
  }
  return Buffer.concat(chunks, n);
}
