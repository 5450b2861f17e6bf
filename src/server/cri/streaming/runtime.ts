/**
 * What the streaming server needs from the container runtime: the narrow interface the CRI
 * service implements with berth's exec, attach and a pod's network namespace. The server owns the
 * protocols; the runtime only sees Node streams, resize events and an AbortSignal.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

export interface TerminalSize {
  width: number;
  height: number;
}

/** The client's side of one exec or attach session. */
export interface StreamIO {
  /** The client's stdin; it ends when the client closes stdin or hangs up. Null when not asked for. */
  stdin: Readable | null;
  /** Where the process's stdout goes (with a TTY, the terminal's output). Null when not asked for. */
  stdout: Writable | null;
  /** Where stderr goes; always null with a TTY. */
  stderr: Writable | null;
  tty: boolean;
  /** Terminal sizes the client sends (TTY sessions only; the first one may come at once). */
  resize: AsyncIterable<TerminalSize> | null;
  /**
   * Aborted when the client hangs up or the server stops: an exec must then kill its process and
   * release what it holds; an attach detaches.
   */
  signal: AbortSignal;
}

export interface StreamRuntime {
  /**
   * Runs cmd in the container, wired to io, and resolves with its exit code when it has exited
   * and its output has been written to io. Rejects (with an errdefs error) when it cannot start.
   */
  exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }>;
  /** Attaches to the container's main process until it exits or io.signal aborts. */
  attach(containerId: string, io: StreamIO): Promise<void>;
  /**
   * Connects `stream` to TCP `port` inside the pod's network namespace, both ways, and resolves
   * when both directions are done. Rejects when the port cannot be reached.
   */
  portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
}
