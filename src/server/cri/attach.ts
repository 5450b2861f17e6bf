import type { Duplex } from 'node:stream';
import { Conflict } from '../../errdefs/index.js';
import { endOf, resizeContainerTty, type ContainerService } from '../../services/index.js';
import type { StreamIO, StreamRuntime } from './streaming/index.js';

/**
 * Attach for the streaming server: conmon holds the main process's stdio, so output is followed
 * from the container's log (from the moment of attaching, as kubectl attach shows it), stdin goes
 * through conmon's attach socket, and terminal sizes through its FIFO. Ends when the container
 * exits or the client hangs up. Exec and port forward are the wrapped runtime's.
 */
export class AttachingRuntime implements StreamRuntime {
  constructor(
    private readonly inner: StreamRuntime,
    private readonly containers: ContainerService,
    private readonly namespace: string,
  ) {}

  exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }> {
    return this.inner.exec(containerId, cmd, io);
  }

  portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    return this.inner.portForward(podSandboxId, port, stream, signal);
  }

  async attach(containerId: string, io: StreamIO): Promise<void> {
    const svc = this.containers;
    const rec = svc.inNamespace(this.namespace, () => svc.get(containerId));
    if (rec.state.status !== 'running') throw new Conflict(`container ${rec.id} is not running`);
    if (io.stdin && !rec.spec.process.stdin.open) throw new Conflict(`container ${rec.id} was not created with stdin open`);
    const ended = endOf(svc.events, rec.id, io.signal);
    if (io.stdin) {
      const stdin = await svc.attachStdin(rec.id);
      stdin.on('error', () => undefined);
      io.stdin.pipe(stdin);
      void ended.then(() => io.stdin?.unpipe(stdin));
    }
    const resizing = io.resize
      ? (async () => {
          for await (const size of io.resize ?? []) await svc.inNamespace(this.namespace, () => resizeContainerTty(svc, rec.id, size.height, size.width)).catch(() => undefined);
        })()
      : Promise.resolve();
    void resizing;
    if (!io.stdout && !io.stderr) return ended;
    const logs = svc.readLogs(rec.id, { follow: true, keepReserve: true, since: new Date(), stdout: io.stdout !== null, stderr: io.stderr !== null, signal: io.signal, stopWhen: ended, partials: true });
    for await (const e of logs) {
      const to = e.stream === 'stderr' && io.stderr ? io.stderr : io.stdout;
      to?.write(e.line);
    }
  }
}
