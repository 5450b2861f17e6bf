/**
 * Port forwarding over WebSocket (kubelet's portforward/websocket.go, `v4.channel.k8s.io`): two
 * channels per port, 2i data and 2i+1 error; each channel's first message is the port number in
 * two little-endian bytes. One connection to each port lives as long as the WebSocket.
 */
import { PassThrough, Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { errorMessage } from './errors.js';
import type { StreamRuntime } from './runtime.js';
import { wsSend } from './command-ws.js';
import { decodeChannelMessage, portPrefix, type WsProtocol } from './ws-channels.js';

export async function servePortForwardWs(ws: WebSocket, protocol: WsProtocol, runtime: StreamRuntime, podSandboxId: string, ports: number[], stop: AbortSignal): Promise<void> {
  const abort = new AbortController();
  const onStop = (): void => abort.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const inputs = ports.map(() => new PassThrough());
  ws.on('error', () => undefined);
  ws.on('message', (raw: Buffer | Buffer[] | ArrayBuffer) => {
    const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    let msg;
    try {
      msg = decodeChannelMessage(protocol, buf);
    } catch {
      return;
    }
    if (msg.kind !== 'data' || msg.channel % 2 !== 0) return;
    const input = inputs[msg.channel / 2];
    if (input && !input.writableEnded && !input.write(msg.data)) {
      ws.pause();
      input.once('drain', () => ws.resume());
    }
  });
  ws.once('close', () => {
    inputs.forEach((i) => i.end());
    abort.abort();
  });

  for (const [i, port] of ports.entries()) {
    await wsSend(ws, protocol, 2 * i, portPrefix(port)).catch(() => undefined);
    await wsSend(ws, protocol, 2 * i + 1, portPrefix(port)).catch(() => undefined);
  }
  await Promise.all(
    ports.map(async (port, i) => {
      const input = inputs[i] ?? new PassThrough();
      const stream = new Duplex({
        read() {
          input.resume();
        },
        write(chunk: Buffer, _enc, cb) {
          wsSend(ws, protocol, 2 * i, chunk).then(() => cb(), () => cb());
        },
      });
      input.on('data', (d: Buffer) => {
        if (!stream.push(d)) input.pause();
      });
      input.once('end', () => stream.push(null));
      try {
        await runtime.portForward(podSandboxId, port, stream, abort.signal);
      } catch (e) {
        const msg = `error forwarding port ${port} to pod ${podSandboxId}: ${errorMessage(e)}`;
        await wsSend(ws, protocol, 2 * i + 1, Buffer.from(msg)).catch(() => undefined);
      }
    }),
  );
  stop.removeEventListener('abort', onStop);
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
