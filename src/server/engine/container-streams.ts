import type { Duplex, Writable } from 'node:stream';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { drainedOrClosed } from '../../util/index.js';
import type { HttpContext } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { encodeFrame, STDERR, STDOUT } from '../../api/index.js';
import { param } from './containers.js';
import { endOf } from '../../services/index.js';

/** RFC 3339 with nanoseconds, as Docker prints log timestamps. */
function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function writeEntry(out: Writable, tty: boolean, stream: 'stdout' | 'stderr', line: Buffer): boolean {
  return out.write(tty ? line : encodeFrame(stream === 'stdout' ? STDOUT : STDERR, line));
}

/**
 * How an attach reaches its client: `open` takes the connection (default: hijack); `raw` sends
 * stdout and stderr unframed (WebSocket attach, as dockerd's MuxStreams false); `follow` false
 * sends the logs asked for and ends (stream=0).
 */
export interface AttachTransport {
  open?: () => Duplex;
  raw?: boolean;
  follow?: boolean;
}

/** POST /containers/{id}/attach: hijacked (docker CLI, docker-py) or a plain 200 stream (dockerode). */
export async function attachContainer(ctx: HttpContext, deps: EngineDeps, how: AttachTransport = {}): Promise<void> {
  const svc = deps.containers;
  const rec = svc.get(param(ctx, 'id'));
  const id = rec.id;
  const tty = rec.spec.process.terminal || how.raw === true;
  const follow = how.follow ?? true;
  const wantStdin = ctx.bool('stdin') && rec.spec.process.stdin.open && follow;
  const wantOut = ctx.bool('stdout');
  const wantErr = ctx.bool('stderr');
  const conn = how.open ? how.open() : ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  const live = rec.state.status === 'running' || rec.state.status === 'paused';

  const abort = new AbortController();
  // A client that leaves before the container exits takes its listeners with it.
  const stopped = endOf(svc.events, id, abort.signal);
  conn.once('close', () => abort.abort());
  // A client that hangs up (or detaches) must not take berthd down with an EPIPE.
  conn.on('error', () => abort.abort());

  const detachKeys = parseDetachKeys(ctx.query.get('detachKeys') ?? '');
  if (wantStdin) void pipeStdin(ctx, deps, id, conn, live, rec.spec.process.stdin.once && !rec.spec.process.terminal, abort.signal, detachKeys, rec.spec.process.terminal);

  if (!wantOut && !wantErr) {
    if (follow) await stopped;
    conn.end();
    return;
  }
  // Output since the attach: a fresh container's whole log, else only what comes next.
  if (!follow && !ctx.bool('logs')) {
    conn.end();
    return;
  }
  const logs = svc.readLogs(id, {
    follow,
    ...(ctx.bool('logs') ? {} : { tail: 0 }),
    stdout: wantOut,
    stderr: wantErr,
    signal: abort.signal,
    stopWhen: stopped,
    // Bytes as the container writes them (a shell prompt has no newline).
    partials: true,
    keepReserve: follow,
  });
  try {
    for await (const e of logs) {
      if (abort.signal.aborted || conn.destroyed) break;
      if (!writeEntry(conn, tty, e.stream, e.line)) await drainedOrClosed(conn);
    }
  } catch (e) {
    if (!abort.signal.aborted) deps.log(`attach ${id}`, e);
  }
  conn.end();
}

/** `stdinOnce` is false for a TTY: Docker never closes a TTY's stdin when the client's ends. */
async function pipeStdin(ctx: HttpContext, deps: EngineDeps, id: string, conn: Duplex, live: boolean, stdinOnce: boolean, signal: AbortSignal, detachKeys: Buffer, tty: boolean): Promise<void> {
  const svc = deps.containers;
  try {
    if (!live) {
      conn.pause();
      await new Promise<void>((resolve, reject) => {
        const onStart = (sid: string): void => {
          if (sid !== id) return;
          svc.events.off('start', onStart);
          resolve();
        };
        svc.events.on('start', onStart);
        signal.addEventListener('abort', () => {
          svc.events.off('start', onStart);
          reject(new Error('client went away'));
        });
      });
    }
    const stdin = await svc.attachStdin(id);
    stdin.on('error', () => undefined);
    // Docker's detach keys (ctrl-p ctrl-q): the session ends, the container keeps running.
    const input = conn.pipe(new DetachScanner(detachKeys));
    input.once('detach', () => conn.destroy());
    input.on('data', (chunk: Buffer) => {
      if (!stdin.write(chunk)) {
        input.pause();
        stdin.once('drain', () => input.resume());
      }
    });
    input.once('end', () => {
      // The client closed its stdin: with StdinOnce the container's stdin closes too.
      if (stdinOnce) stdin.end();
    });
    // A TTY container's conmon keeps stdin open (--leave-stdin-open): let the socket go with the client.
    if (tty) conn.once('close', () => stdin.destroy());
    conn.resume();
  } catch (e) {
    if (!signal.aborted) deps.log(`attach stdin ${id}`, e);
  }
  void ctx;
}


/** GET /containers/{id}/logs */
export async function containerLogs(ctx: HttpContext, deps: EngineDeps): Promise<void> {
  const svc = deps.containers;
  const rec = svc.get(param(ctx, 'id'));
  const stdout = ctx.bool('stdout');
  const stderr = ctx.bool('stderr');
  if (!stdout && !stderr) throw new InvalidArgument('Bad parameters: you must choose at least one stream');
  const follow = ctx.bool('follow');
  const tailRaw = ctx.query.get('tail');
  const tail = tailRaw && tailRaw !== 'all' ? Number(tailRaw) : undefined;
  if (tail !== undefined && !Number.isInteger(tail)) throw new InvalidArgument(`invalid value for "tail": ${tailRaw}`);
  const since = timeParam(ctx.query.get('since'));
  const until = timeParam(ctx.query.get('until'));
  const timestamps = ctx.bool('timestamps');
  const details = ctx.bool('details');
  // A driver that keeps nothing to read back gets dockerd's 501, before the stream starts.
  svc.assertLogsReadable(rec);
  const live = rec.state.status === 'running' || rec.state.status === 'paused';
  const stopped = live ? endOf(svc.events, rec.id) : Promise.resolve();
  const res = ctx.startStream(rec.spec.process.terminal ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  const logs = svc.containerLogs(rec, {
    follow: follow && live,
    ...(tail !== undefined && tail >= 0 ? { tail } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    stdout,
    stderr,
    signal: ctx.signal,
    stopWhen: stopped,
  });
  try {
    for await (const e of logs) {
      const detailed = details ? Buffer.concat([Buffer.from(`${attrsPrefix(e.attrs)} `), e.line]) : e.line;
      const line = timestamps ? Buffer.concat([Buffer.from(rfc3339Nano(e.time) + ' '), detailed]) : detailed;
      if (!writeEntry(res, rec.spec.process.terminal, e.stream, line)) await drainedOrClosed(res);
      if (ctx.signal.aborted) break;
    }
  } catch (e) {
    if (!ctx.signal.aborted) deps.log(`logs ${rec.id}`, e);
  }
  res.end();
}

/** Go's url.QueryEscape: what `logs --details` escapes the attrs with. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** dockerd's `logs --details` prefix: the attrs sorted by key, `k=v` joined by ','. */
function attrsPrefix(attrs: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(attrs ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join(',');
}

/** Unix seconds (with fraction) or RFC 3339; 0 or empty means none. */
function timeParam(v: string | null): Date | undefined {
  if (!v || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return new Date(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid time value: ${v}`);
  return new Date(t);
}
