import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  path: string;
  contentRange?: string;
  contentLength?: number;
  status?: number;
  /** What the registry said in Range (upload status and PATCH answers). */
  range?: string;
}

export interface PushProxy {
  host: string;
  log: LoggedRequest[];
  /** `reset-patch`: the Nth PATCH (1-based) is cut by a TCP RST after half its body; `refuse-patch`: every PATCH gets 405. */
  fault: { mode: 'none' | 'reset-patch' | 'refuse-patch'; nth: number };
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real registry that logs every request and can break uploads: the
 * fault proxy for chunked pushes. It forwards Host unchanged so absolute Locations point back at it.
 */
export async function startPushProxy(target: string): Promise<PushProxy> {
  const t = new URL(target);
  const log: LoggedRequest[] = [];
  const fault: PushProxy['fault'] = { mode: 'none', nth: 0 };
  let patches = 0;
  const server: Server = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? '', path: req.url ?? '' };
    if (req.headers['content-range']) entry.contentRange = req.headers['content-range'];
    if (req.headers['content-length']) entry.contentLength = Number(req.headers['content-length']);
    log.push(entry);
    if (req.method === 'PATCH' && fault.mode === 'refuse-patch') {
      entry.status = 405;
      req.resume();
      res.writeHead(405, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNSUPPORTED","message":"chunked uploads are not supported"}]}');
      return;
    }
    const cut = req.method === 'PATCH' && fault.mode === 'reset-patch' && ++patches === fault.nth;
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (ur: IncomingMessage) => {
      entry.status = ur.statusCode ?? 0;
      const range = ur.headers['range'];
      if (typeof range === 'string') entry.range = range;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    if (!cut) {
      req.pipe(up);
      return;
    }
    // Half the declared body reaches the registry, then both connections are reset.
    const half = Math.floor(Number(req.headers['content-length'] ?? 0) / 2);
    let passed = 0;
    req.on('data', (c: Buffer) => {
      if (passed >= half) return;
      const part = c.subarray(0, half - passed);
      passed += part.length;
      up.write(part);
      if (passed >= half) {
        entry.status = -1;
        up.destroy();
        req.socket.resetAndDestroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    log,
    fault,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
