/**
 * StreamRuntime.exec on berth's own exec (services' ExecService, or anything with its three
 * operations): the CRI ExecRequest becomes an exec instance of the container, its streams are
 * wired to the client's, resize events go to the exec's terminal, and a client that hangs up gets
 * the process killed (containerd's CRI does the same when the stream's context ends).
 *
 * Port forward is delegated (NetnsPortForwarder, given the pod's network namespace). Attach is not
 * wired: it refuses plainly (NotImplemented) until the CRI service gives it a container's main
 * process streams.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { NotImplemented } from '../../../errdefs/index.js';
import type { ExecConfig, ExecSession } from '../../../services/index.js';
import type { StreamIO, StreamRuntime } from './runtime.js';
import { execStartError } from './errors.js';

/** The part of ExecService this runtime uses. */
export interface ExecBackend {
  create(containerId: string, config: ExecConfig): { id: string } | Promise<{ id: string }>;
  start(id: string, opts: { tty?: boolean; consoleSize?: { height: number; width: number } | null }): Promise<Pick<ExecSession, 'record' | 'stdin' | 'stdout' | 'stderr' | 'done'>>;
  resize(id: string, height: number, width: number): void | Promise<void>;
}

export interface ExecRuntimeOptions {
  /** Sends a signal to a process of the host (process.kill); injectable for tests. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** Serves port forward requests (NetnsPortForwarder); without it they are refused. */
  portForwarder?: Pick<StreamRuntime, 'portForward'>;
}

export class ExecStreamRuntime implements StreamRuntime {
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  private readonly forwarder: Pick<StreamRuntime, 'portForward'> | undefined;

  constructor(
    private readonly execs: ExecBackend,
    opts: ExecRuntimeOptions = {},
  ) {
    this.kill = opts.kill ?? ((pid, signal) => process.kill(pid, signal));
    this.forwarder = opts.portForwarder;
  }

  async exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }> {
    const rec = await this.execs.create(containerId, {
      cmd,
      env: [],
      workingDir: '',
      user: '',
      tty: io.tty,
      attachStdin: io.stdin !== null,
      attachStdout: io.stdout !== null,
      attachStderr: io.stderr !== null,
      privileged: false,
      detachKeys: '',
      consoleSize: null,
    });
    const s = await this.execs.start(rec.id, { tty: io.tty }).catch((e: unknown) => {
      throw execStartError(e, rec.id);
    });
    let finished = false;
    const onAbort = (): void => {
      // The pid is the exec's own process, alive until `done` settles.
      if (!finished && s.record.pid > 0) {
        try {
          this.kill(s.record.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    io.signal.addEventListener('abort', onAbort, { once: true });
    if (io.signal.aborted) onAbort();

    if (s.stdin) {
      s.stdin.on('error', () => undefined);
      if (io.stdin) io.stdin.pipe(s.stdin);
      else s.stdin.end();
    }
    const resizing = io.resize
      ? (async () => {
          for await (const size of io.resize ?? []) {
            // An exec that ended meanwhile has no terminal left to resize.
            await Promise.resolve()
              .then(() => this.execs.resize(rec.id, size.height, size.width))
              .catch(() => undefined);
          }
        })()
      : Promise.resolve();
    const outputs = Promise.all([copy(s.stdout, io.stdout), copy(s.stderr, io.stderr)]);
    try {
      const exitCode = await s.done;
      await outputs;
      return { exitCode };
    } finally {
      finished = true;
      io.signal.removeEventListener('abort', onAbort);
      io.stdin?.unpipe();
      void resizing;
    }
  }

  attach(): Promise<void> {
    return Promise.reject(new NotImplemented('attach through the CRI streaming server is not available yet'));
  }

  portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    if (!this.forwarder) return Promise.reject(new NotImplemented('port forward through the CRI streaming server is not available yet'));
    return this.forwarder.portForward(podSandboxId, port, stream, signal);
  }
}

/** Copies an exec's output to the client (or drains it when the client did not ask for it). */
function copy(from: Readable, to: Writable | null): Promise<void> {
  return new Promise((resolve) => {
    from.once('end', resolve);
    from.once('close', resolve);
    from.once('error', () => resolve());
    if (to) from.pipe(to, { end: false });
    else from.resume();
  });
}
