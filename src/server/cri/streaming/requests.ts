/**
 * The requests the CRI service hands to the streaming server (from ExecRequest, AttachRequest and
 * PortForwardRequest), checked as kubelet's streaming server checks them, and the single-use
 * tokens that stand for them in the URLs.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgument, Unavailable } from '../../../errdefs/index.js';

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}
export type AttachRequest = Omit<ExecRequest, 'cmd'>;
export interface PortForwardRequest {
  podSandboxId: string;
  /** Ports the client may name; a WebSocket client without `port` query parameters gets these. */
  ports: number[];
}

export type StreamRequest =
  | { kind: 'exec'; request: ExecRequest }
  | { kind: 'attach'; request: AttachRequest }
  | { kind: 'portforward'; request: PortForwardRequest };

function checkStdio(r: AttachRequest): void {
  if (r.containerId === '') throw new InvalidArgument('missing required container_id');
  if (r.tty && r.stderr) throw new InvalidArgument('tty and stderr cannot both be true');
  if (!r.stdin && !r.stdout && !r.stderr) throw new InvalidArgument('one of stdin, stdout, or stderr must be set');
}

export function checkRequest(r: StreamRequest): void {
  switch (r.kind) {
    case 'exec':
      checkStdio(r.request);
      if (r.request.cmd.length === 0) throw new InvalidArgument('cmd must not be empty');
      return;
    case 'attach':
      checkStdio(r.request);
      return;
    case 'portforward':
      if (r.request.podSandboxId === '') throw new InvalidArgument('missing required pod_sandbox_id');
      for (const p of r.request.ports) {
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidArgument(`port ${p} is not a TCP port (1-65535)`);
      }
      return;
  }
}

/** kubelet's cache: 1000 requests in flight at most, each usable once within its lifetime. */
export const MAX_IN_FLIGHT = 1000;
export const TOKEN_TTL_MS = 60_000;

export class TokenCache {
  private readonly entries = new Map<string, { request: StreamRequest; expires: number }>();

  constructor(
    private readonly ttlMs = TOKEN_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  insert(request: StreamRequest): string {
    this.sweep();
    if (this.entries.size >= MAX_IN_FLIGHT) throw new Unavailable('maximum number of in-flight streaming requests exceeded');
    let token: string;
    do token = randomBytes(8).toString('base64url');
    while (this.entries.has(token));
    this.entries.set(token, { request, expires: this.now() + this.ttlMs });
    return token;
  }

  /** The request for token, removed from the cache; undefined when unknown, used or expired. */
  consume(token: string): StreamRequest | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return e.expires > this.now() ? e.request : undefined;
  }

  get size(): number {
    this.sweep();
    return this.entries.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, e] of this.entries) if (e.expires <= now) this.entries.delete(t);
  }
}
