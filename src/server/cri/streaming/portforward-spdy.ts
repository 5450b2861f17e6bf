/**
 * Port forwarding over SPDY (`portforward.k8s.io`, kubelet's portforward/httpstream.go): for each
 * forwarded connection the client opens a `data` and an `error` stream carrying the same `port`
 * and `requestID` headers; when both are there the runtime connects the data stream to the port.
 * A failure is written on the error stream as kubelet's JSON {"closeConnection","message"}.
 */
import { errorMessage } from './errors.js';
import type { StreamRuntime } from './runtime.js';
import { endStream } from './command-spdy.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';

export const SPDY_PORT_FORWARD_PROTOCOLS = ['portforward.k8s.io'];

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Serves port forward streams until the session ends; resolves then. */
export function servePortForwardSpdy(
  session: SpdySession,
  runtime: StreamRuntime,
  podSandboxId: string,
  streamTimeoutMs: number,
  stop: AbortSignal,
): Promise<void> {
  const pairs = new Map<string, Pair>();
  const abort = new AbortController();
  const onStop = (): void => session.destroy();
  stop.addEventListener('abort', onStop, { once: true });

  session.on('stream', (s) => {
    const portText = s.header('port') ?? '';
    const type = s.header('streamType') ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    // kubelet refuses such a stream before it replies: RST_STREAM.
    if (!(port >= 1 && port <= 65535) || (type !== 'data' && type !== 'error')) {
      s.reset();
      return;
    }
    let id = s.header('requestID');
    // Clients older than requestID: the error stream's id names the pair, data follows it by 2.
    if (id === undefined || id === '') id = String(type === 'error' ? s.id : s.id - 2);
    void session.reply(s).catch(() => undefined);
    let pair = pairs.get(id);
    if (!pair) {
      const key = id;
      pair = {
        timer: setTimeout(() => {
          const p = pairs.get(key);
          pairs.delete(key);
          if (p?.error) p.error.write(`timed out waiting for streams of request ${key}`);
        }, streamTimeoutMs),
      };
      pairs.set(id, pair);
    }
    if (pair[type]) {
      const msg = `error processing stream for request ${id}: ${type} stream already assigned`;
      pair.error?.write(msg);
      s.reset();
      return;
    }
    pair[type] = s;
    const { data, error } = pair;
    if (data && error) {
      clearTimeout(pair.timer);
      pairs.delete(id);
      void forward(runtime, podSandboxId, port, data, error, abort.signal);
    }
  });

  return session.closed.then(() => {
    stop.removeEventListener('abort', onStop);
    abort.abort();
    for (const p of pairs.values()) clearTimeout(p.timer);
  });
}

async function forward(runtime: StreamRuntime, pod: string, port: number, data: SpdyStream, error: SpdyStream, signal: AbortSignal): Promise<void> {
  try {
    await runtime.portForward(pod, port, data, signal);
  } catch (e) {
    const msg = `error forwarding port ${port} to pod ${pod}: ${errorMessage(e)}`;
    if (!error.destroyed) error.write(JSON.stringify({ closeConnection: true, message: msg }) + '\n');
  }
  await Promise.all([endStream(data), endStream(error)]);
}
