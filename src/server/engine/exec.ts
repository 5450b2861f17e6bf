import type { Duplex, Readable } from 'node:stream';
import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { encodeFrame, STDERR, STDOUT, type StdStream } from '../../api/index.js';
import type { ExecConfig, ExecRecord, ExecService, ExecSession } from '../../services/index.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';
import { bool, goFields, jsonBody, parseJsonObject, str, strList } from './request.js';
import { param } from './containers.js';

function consoleSize(v: unknown): { height: number; width: number } | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [h, w] = v as unknown[];
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { height: h, width: w } : null;
}

/** The fields of ExecConfig (POST /containers/{id}/exec) and ExecStartCheck (POST /exec/{id}/start). */
const EXEC_FIELDS = ['Cmd', 'Env', 'WorkingDir', 'User', 'Tty', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Privileged', 'DetachKeys', 'ConsoleSize', 'Detach'] as const;

export function execConfigFromWire(wire: Record<string, unknown>): ExecConfig {
  const body = goFields(wire, EXEC_FIELDS);
  const keys = str(body['DetachKeys']) ?? '';
  if (keys) parseDetachKeys(keys);
  return {
    cmd: strList(body['Cmd'], 'Cmd') ?? [],
    env: strList(body['Env'], 'Env') ?? [],
    workingDir: str(body['WorkingDir']) ?? '',
    user: str(body['User']) ?? '',
    tty: bool(body['Tty']) ?? false,
    attachStdin: bool(body['AttachStdin']) ?? false,
    attachStdout: bool(body['AttachStdout']) ?? false,
    attachStderr: bool(body['AttachStderr']) ?? false,
    privileged: bool(body['Privileged']) ?? false,
    detachKeys: keys,
    consoleSize: consoleSize(body['ConsoleSize']),
  };
}

/** GET /exec/{id}/json in Docker's shape. */
export function execInspect(e: ExecRecord): Record<string, unknown> {
  return {
    ID: e.id,
    Running: e.status === 'running',
    ExitCode: e.exitCode,
    ProcessConfig: {
      tty: e.config.tty,
      entrypoint: e.config.cmd[0] ?? '',
      arguments: e.config.cmd.slice(1),
      privileged: e.config.privileged,
      ...(e.config.user ? { user: e.config.user } : {}),
    },
    OpenStdin: e.config.attachStdin,
    OpenStderr: e.config.attachStderr,
    OpenStdout: e.config.attachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.config.detachKeys,
    Pid: e.pid,
  };
}

export function execRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const execs = (): ExecService => {
    if (!deps.execs) throw new NotImplemented('exec is not available in this daemon');
    return deps.execs;
  };

  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    const config = execConfigFromWire(await jsonBody(ctx));
    const rec = execs().create(param(ctx, 'id'), config);
    ctx.sendJson(201, { Id: rec.id });
  });

  r.add('GET', '/exec/{id}/json', (ctx) => {
    ctx.sendJson(200, execInspect(execs().get(param(ctx, 'id'))));
  });

  r.add('POST', '/exec/{id}/resize', (ctx) => {
    const h = ctx.int('h');
    const w = ctx.int('w');
    if (h === undefined || w === undefined) throw new InvalidArgument('invalid resize parameters: h and w are required');
    execs().resize(param(ctx, 'id'), h, w);
    ctx.sendStatus(200);
  });

  r.add('POST', '/exec/{id}/start', async (ctx) => {
    const svc = execs();
    const body = goFields(ctx.upgrade ? parseJsonObject(await upgradeBody(ctx)) : await jsonBody(ctx), EXEC_FIELDS);
    const rec = svc.get(param(ctx, 'id'));
    const tty = bool(body['Tty']) ?? rec.config.tty;
    const size = consoleSize(body['ConsoleSize']);
    if (bool(body['Detach'])) {
      const s = await svc.start(rec.id, { tty, consoleSize: size });
      // Nobody reads a detached exec: drain its output so it never blocks on a full pipe.
      s.stdout.resume();
      s.stderr.resume();
      s.stdin?.end();
      ctx.sendStatus(200);
      return;
    }
    const conn = ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    // A client that hangs up must not take berthd down with an EPIPE; the process keeps running.
    conn.on('error', () => undefined);
    let s: ExecSession;
    try {
      s = await svc.start(rec.id, { tty, consoleSize: size });
    } catch (e) {
      // Docker writes a start failure into the stream; the CLI then reads ExitCode (126/127).
      const msg = Buffer.from(`${(e instanceof Error ? e.message : String(e)).replace(/^failed to create task for container: /, '')}\r\n`);
      conn.end(tty ? msg : encodeFrame(STDOUT, msg));
      return;
    }
    await pumpExec(conn, s, tty, rec.config.detachKeys);
  });
}

/**
 * On an upgraded request Node hands the body over with the raw socket (in `head`): take exactly
 * Content-Length bytes so that they are not mistaken for the exec's stdin.
 */
async function upgradeBody(ctx: HttpContext): Promise<Buffer> {
  const up = ctx.upgrade;
  if (!up) return Buffer.alloc(0);
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(len) || len <= 0) return Buffer.alloc(0);
  if (len > 1 << 20) throw new InvalidArgument('request body too large');
  let buf = up.head;
  while (buf.length < len) {
    const more = up.socket.read() as Buffer | null;
    if (more) {
      buf = Buffer.concat([buf, more]);
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        up.socket.off('readable', done);
        up.socket.off('close', closed);
        resolve();
      };
      const closed = (): void => {
        up.socket.off('readable', done);
        reject(new InvalidArgument('the client closed the connection before sending the body'));
      };
      up.socket.once('readable', done);
      up.socket.once('close', closed);
    });
  }
  up.head = buf.subarray(len);
  return buf.subarray(0, len);
}

/** Streams a running exec over a hijacked connection until its output ends or the client goes. */
async function pumpExec(conn: Duplex, s: ExecSession, tty: boolean, detachKeys: string): Promise<void> {
  let gone = false;
  const closed = new Promise<void>((resolve) => {
    conn.once('close', () => {
      gone = true;
      resolve();
    });
    conn.on('error', () => undefined);
  });
  const stdin = s.stdin;
  if (stdin) {
    stdin.on('error', () => undefined);
    const scanner = new DetachScanner(parseDetachKeys(detachKeys));
    scanner.once('detach', () => conn.destroy());
    conn.pipe(scanner).pipe(stdin, { end: !tty });
  } else {
    conn.resume();
  }
  const copy = (src: Readable, stream: StdStream): Promise<void> =>
    new Promise<void>((resolve) => {
      src.on('data', (d: Buffer) => {
        if (gone) return;
        if (!conn.write(tty ? d : encodeFrame(stream, d))) {
          src.pause();
          const go = (): void => {
            conn.off('drain', go);
            conn.off('close', go);
            src.resume();
          };
          conn.once('drain', go);
          conn.once('close', go);
        }
      });
      src.once('end', resolve);
      src.once('close', resolve);
      src.once('error', () => resolve());
    });
  const outputs = Promise.all([copy(s.stdout, STDOUT), copy(s.stderr, STDERR)]);
  await Promise.race([Promise.all([outputs, s.done]), closed]);
  if (!gone) conn.end();
}
