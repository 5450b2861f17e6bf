/**
 * StreamRuntime.portForward into a pod's network namespace: each forwarded connection dials
 * 127.0.0.1:PORT inside the namespace, so servers bound to the pod's loopback are reachable, as
 * with containerd's CRI.
 *
 * Node cannot enter a network namespace (setns is per thread, and the FFI lives in sys/, which
 * server/ may not import), so each connection gets a small helper: `nsenter --net=<ns>` running
 * this same Node binary with a few lines that join its stdio to a TCP socket, half-close included.
 * That costs a process start per connection (containerd's first CRI used socat the same way) and
 * nothing once the connection ends: the helper exits with it, or is killed when the session goes.
 */
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { NotFound, Unavailable } from '../../../errdefs/index.js';

/** Joins stdin/stdout to 127.0.0.1:PORT; a failure to connect exits 3 with the error's code. */
const DIALER = `
const s = require('net').connect({ port: Number(process.argv[1]), host: '127.0.0.1', allowHalfOpen: true });
s.once('connect', () => { process.stdin.pipe(s); s.pipe(process.stdout); });
s.on('error', (e) => { process.stderr.write(String(e.code || e.message)); process.exit(3); });
s.on('close', () => process.exit(0));
process.stdout.on('error', () => s.destroy());
`;

export interface NetnsPortForwarderOptions {
  /** The network namespace file of a pod sandbox (/run/netns/…, /proc/<pid>/ns/net); NotFound when unknown. */
  netnsOf(podSandboxId: string): Promise<string>;
  nsenterPath?: string;
}

export class NetnsPortForwarder {
  constructor(private readonly opts: NetnsPortForwarderOptions) {}

  async portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    const ns = await this.opts.netnsOf(podSandboxId);
    if (!ns) throw new NotFound(`pod sandbox ${podSandboxId} has no network namespace`);
    const child = spawn(this.opts.nsenterPath ?? 'nsenter', [`--net=${ns}`, '--', process.execPath, '-e', DIALER, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stop = (): void => void child.kill('SIGKILL');
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.on('error', () => undefined);
    stream.pipe(child.stdin);
    child.stdout.pipe(stream);
    try {
      const [code] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c, s) => resolve([c, s]));
      });
      if (signal.aborted || code === 0) return;
      if (code === 3) {
        const why = err.trim() === 'ECONNREFUSED' ? 'nothing listens there' : err.trim() || 'the connection failed';
        throw new Unavailable(`cannot connect to port ${port} in pod sandbox ${podSandboxId}: ${why}`);
      }
      throw new Unavailable(`cannot enter the network namespace of pod sandbox ${podSandboxId}${err.trim() ? `: ${err.trim().split('\n')[0]}` : ''}`);
    } finally {
      signal.removeEventListener('abort', stop);
      stream.unpipe(child.stdin);
    }
  }
}
