/**
 * exec and attach over SPDY (kubelet's remotecommand/httpstream.go): the client opens one stream
 * per stdio channel, named by its `streamType` header (error, stdin, stdout, stderr, resize), and
 * the session starts once every expected stream is there. v2 and v1 have no resize stream; v4 and
 * v5 (the same over SPDY; v5's close signal is WebSocket-only) send a JSON status on the error stream.
 */
import { PassThrough } from 'node:stream';
import { AsyncQueue, channelWriter, type CommandTransport } from './command.js';
import type { TerminalSize } from './runtime.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';
import { ResizeDecoder, errorChannelPayload, type CommandOutcome } from './status.js';

/** Subprotocols of X-Stream-Protocol-Version for exec and attach, newest first. */
export const SPDY_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export interface Stdio {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Half-closes a stream (FIN) and resolves once the FIN is queued, or at once if it is gone. */
export function endStream(s: SpdyStream): Promise<void> {
  if (s.destroyed || s.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('close', resolve);
    s.end(() => resolve());
  });
}

/**
 * Waits for the client's streams (until timeoutMs) and returns the session's transport, or
 * undefined when the client did not open them in time or hung up first.
 */
export function spdyCommandTransport(session: SpdySession, protocol: string, opts: Stdio, timeoutMs: number): Promise<CommandTransport | undefined> {
  const resizing = protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io';
  const statusJson = protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io';
  const expected = 1 + Number(opts.stdin) + Number(opts.stdout) + Number(opts.stderr) + Number(opts.tty && resizing);
  const streams = new Map<string, SpdyStream>();
  const all: SpdyStream[] = [];

  return new Promise((resolve) => {
    let received = 0;
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const onClose = (): void => done(undefined);
    const onStream = (s: SpdyStream): void => {
      all.push(s);
      const type = s.header('streamType') ?? '';
      const known = ['error', 'stdin', 'stdout', 'stderr'].includes(type) || (type === 'resize' && resizing);
      if (known && !streams.has(type)) streams.set(type, s);
      // kubelet answers every stream but counts only those of a type it knows.
      session.reply(s).then(
        () => {
          if (!known) return;
          received++;
          if (received === expected) done(build());
        },
        () => done(undefined),
      );
    };
    const done = (t: CommandTransport | undefined): void => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (!t) session.destroy();
      resolve(t);
    };
    session.on('stream', onStream);
    session.once('close', onClose);

    const build = (): CommandTransport => {
      const hangup = new AbortController();
      session.once('close', () => hangup.abort());
      const stdinStream = opts.stdin ? streams.get('stdin') : undefined;
      let stdin: PassThrough | null = null;
      if (stdinStream) {
        const pass = new PassThrough();
        stdinStream.pipe(pass);
        stdinStream.once('close', () => pass.writableEnded || pass.end());
        stdin = pass;
      }
      const writer = (type: string): ReturnType<typeof channelWriter> | null => {
        const s = streams.get(type);
        if (!s) return null;
        return channelWriter((chunk) => new Promise((res, rej) => (s.destroyed ? rej(new Error('closed')) : s.write(chunk, (e) => (e ? rej(e) : res())))));
      };
      let resize: AsyncQueue<TerminalSize> | null = null;
      const resizeStream = opts.tty ? streams.get('resize') : undefined;
      if (resizeStream) {
        const q = new AsyncQueue<TerminalSize>();
        const dec = new ResizeDecoder();
        resizeStream.on('data', (d: Buffer) => dec.push(d).forEach((size) => q.push(size)));
        resizeStream.once('end', () => q.end());
        resizeStream.once('close', () => q.end());
        resize = q;
      }
      return {
        io: { stdin, stdout: opts.stdout ? writer('stdout') : null, stderr: opts.stderr ? writer('stderr') : null, tty: opts.tty, resize },
        hangup: hangup.signal,
        finish: async (outcome: CommandOutcome) => {
          const err = streams.get('error');
          const payload = errorChannelPayload(outcome, statusJson);
          if (err && payload && !err.destroyed) await new Promise<void>((res) => err.write(payload, () => res()));
          await Promise.all(all.map(endStream));
          await session.close();
        },
        destroy: () => session.destroy(),
      };
    };
  });
}
