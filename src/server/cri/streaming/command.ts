/**
 * One exec or attach session, independent of its transport: the transport (SPDY streams or
 * WebSocket channels) provides the client's stdio, resize events and error channel; runCommand
 * runs the runtime's side and reports how it ended.
 */
import { Writable } from 'node:stream';
import { errorMessage } from './errors.js';
import type { StreamIO, TerminalSize } from './runtime.js';
import type { CommandOutcome } from './status.js';

export interface CommandTransport {
  io: Omit<StreamIO, 'signal'>;
  /** Aborted when the client hangs up. */
  hangup: AbortSignal;
  /** Sends the outcome on the error channel, then closes every stream and the connection. */
  finish(outcome: CommandOutcome): Promise<void>;
  /** Drops the connection at once. */
  destroy(): void;
}

/** Runs one session: the runtime gets the client's streams and an AbortSignal for a hang-up. */
export async function runCommand(
  t: CommandTransport,
  run: (io: StreamIO) => Promise<CommandOutcome>,
  stop: AbortSignal,
): Promise<void> {
  const signal = AbortSignal.any([t.hangup, stop]);
  let outcome: CommandOutcome;
  try {
    outcome = await run({ ...t.io, signal });
  } catch (e) {
    outcome = { kind: 'failed', message: errorMessage(e) };
  }
  if (signal.aborted) {
    t.destroy();
    return;
  }
  // Output the runtime wrote must leave before the status: end the writers and let them drain.
  await Promise.all([settle(t.io.stdout), settle(t.io.stderr)]);
  await t.finish(outcome).catch(() => t.destroy());
}

function settle(w: Writable | null): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('close', resolve);
    w.once('error', () => resolve());
    if (!w.writableEnded) w.end();
  });
}

/** A push-fed AsyncIterable (resize events). */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(): void {
    this.ended = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export type ResizeQueue = AsyncQueue<TerminalSize>;

/**
 * A Writable for the runtime that forwards to send(); after a hang-up writes are dropped rather than
 * failing the runtime's pipes, since the process is being killed anyway.
 */
export function channelWriter(send: (chunk: Buffer) => Promise<void>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      send(chunk).then(
        () => cb(),
        () => cb(),
      );
    },
  });
}
