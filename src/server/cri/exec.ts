import { InvalidArgument, NotModified } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../services/index.js';
import type { CriDeps } from './deps.js';
import { criContainer } from './lookup.js';
import { DeadlineExceeded } from './errors.js';
import { unary } from './rpc.js';
import { execStartError, type StreamingServer } from './streaming/index.js';
import { bool, num, str, strings } from './wire.js';

/** kubelet's gRPC message limit: ExecSync output above it is cut, as containerd caps it. */
const MAX_OUTPUT = 16 << 20;

/** The exec configuration of a CRI exec: the container's own environment, user and directory. */
export function execConfig(cmd: string[], io: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }) {
  return { cmd, env: [], workingDir: '', user: '', tty: io.tty, attachStdin: io.stdin, attachStdout: io.stdout, attachStderr: io.stderr, privileged: false, detachKeys: '', consoleSize: null };
}

function collect(s: NodeJS.ReadableStream): { done: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let size = 0;
  s.on('data', (c: Buffer) => {
    if (size < MAX_OUTPUT) chunks.push(c.subarray(0, MAX_OUTPUT - size));
    size += c.length;
  });
  return {
    done: new Promise((resolve) => {
      s.once('end', () => resolve(Buffer.concat(chunks)));
      s.once('close', () => resolve(Buffer.concat(chunks)));
      s.once('error', () => resolve(Buffer.concat(chunks)));
    }),
  };
}

/** ExecSync, Exec, Attach and PortForward: the first runs here, the others get a streaming URL. */
export function execHandlers(deps: CriDeps, streaming: StreamingServer) {
  const ns = deps.config.namespace;
  const inNs = <T>(fn: () => T): T => deps.containers.inNamespace(ns, fn);
  const running = (rpc: string, id: string): ContainerRecord => {
    if (!id) throw new InvalidArgument(`${rpc}: container_id is required`);
    const rec = criContainer(deps, id);
    if (rec.state.status !== 'running') throw new NotModified(`${rpc}: container ${rec.id} is not running`);
    return rec;
  };

  return {
    ExecSync: unary('ExecSync', async (req, ctx) => {
      const rec = running('ExecSync', str(req, 'container_id'));
      const cmd = strings(req, 'cmd');
      if (!cmd.length) throw new InvalidArgument('ExecSync: cmd must not be empty');
      const timeout = num(req, 'timeout');
      const session = await inNs(async () => {
        const e = deps.execs.create(rec.id, execConfig(cmd, { tty: false, stdin: false, stdout: true, stderr: true }));
        return deps.execs.start(e.id, { tty: false }).catch((err: unknown) => {
          throw execStartError(err, e.id);
        });
      });
      session.stdin?.end();
      const out = collect(session.stdout);
      const err = collect(session.stderr);
      const kill = (): void => {
        if (session.record.pid > 0) {
          try {
            process.kill(session.record.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      };
      ctx.signal.addEventListener('abort', kill, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        if (timeout > 0) timer = setTimeout(() => resolve('timeout'), timeout * 1000);
      });
      try {
        const code = await Promise.race([session.done, timedOut]);
        if (code === 'timeout') {
          kill();
          throw new DeadlineExceeded(`ExecSync: command ${JSON.stringify(cmd.join(' '))} in container ${rec.id} did not finish within ${timeout}s`);
        }
        return { stdout: await out.done, stderr: await err.done, exit_code: code };
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', kill);
      }
    }),

    Exec: unary('Exec', async (req) => {
      const rec = running('Exec', str(req, 'container_id'));
      const cmd = strings(req, 'cmd');
      return { url: streaming.getExec({ containerId: rec.id, cmd, tty: bool(req, 'tty'), stdin: bool(req, 'stdin'), stdout: bool(req, 'stdout'), stderr: bool(req, 'stderr') }) };
    }),

    Attach: unary('Attach', async (req) => {
      const rec = running('Attach', str(req, 'container_id'));
      return { url: streaming.getAttach({ containerId: rec.id, tty: bool(req, 'tty'), stdin: bool(req, 'stdin'), stdout: bool(req, 'stdout'), stderr: bool(req, 'stderr') }) };
    }),

    PortForward: unary('PortForward', async (req) => {
      const pod = deps.pods.get(str(req, 'pod_sandbox_id'));
      if (pod.state !== 'ready' || (!pod.namespaces.net && !pod.hostNetwork)) throw new NotModified(`PortForward: pod sandbox ${pod.id} is not ready`);
      const ports = Array.isArray(req['port']) ? (req['port'] as unknown[]).map(Number) : [];
      return { url: streaming.getPortForward({ podSandboxId: pod.id, ports }) };
    }),
  };
}
