/**
 * exec and attach over WebSocket (kubelet's remotecommand/websocket.go with wsstream): channels 0
 * stdin, 1 stdout, 2 stderr, 3 error, 4 resize in one connection. The server first sends an empty
 * message on the lowest channel it writes, so the client knows the session is up.
 */
import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { AsyncQueue, channelWriter, type CommandTransport } from './command.js';
import type { Stdio } from './command-spdy.js';
import type { TerminalSize } from './runtime.js';
import { ResizeDecoder, errorChannelPayload, type CommandOutcome } from './status.js';
import { CHANNEL, decodeChannelMessage, encodeChannelMessage, type WsProtocol } from './ws-channels.js';

export function wsSend(ws: WebSocket, protocol: WsProtocol, channel: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== ws.OPEN) {
      reject(new Error('the WebSocket is closed'));
      return;
    }
    const msg = encodeChannelMessage(protocol, channel, data);
    ws.send(msg, { binary: typeof msg !== 'string' }, (e) => (e ? reject(e) : resolve()));
  });
}

export function wsCommandTransport(ws: WebSocket, protocol: WsProtocol, opts: Stdio): CommandTransport {
  const hangup = new AbortController();
  let finishing = false;
  const stdin = opts.stdin ? new PassThrough() : null;
  const resize = opts.tty ? new AsyncQueue<TerminalSize>() : null;
  const decoder = new ResizeDecoder();
  const endInputs = (): void => {
    stdin?.end();
    resize?.end();
  };

  ws.on('message', (raw: Buffer | Buffer[] | ArrayBuffer) => {
    const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    let msg;
    try {
      msg = decodeChannelMessage(protocol, buf);
    } catch {
      return; // wsstream logs and drops a frame it cannot read
    }
    if (msg.kind === 'close') {
      if (msg.channel === CHANNEL.stdin) stdin?.end();
      if (msg.channel === CHANNEL.resize) resize?.end();
      return;
    }
    if (msg.kind !== 'data') return;
    if (msg.channel === CHANNEL.stdin && stdin && !stdin.writableEnded) {
      // A process that reads slowly holds the client back instead of filling memory.
      if (!stdin.write(msg.data)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    }
    else if (msg.channel === CHANNEL.resize && resize) decoder.push(msg.data).forEach((s) => resize.push(s));
  });
  ws.once('close', () => {
    endInputs();
    if (!finishing) hangup.abort();
  });
  ws.on('error', () => undefined);

  const first = opts.stdout ? CHANNEL.stdout : opts.stderr ? CHANNEL.stderr : CHANNEL.error;
  void wsSend(ws, protocol, first, Buffer.alloc(0)).catch(() => undefined);

  const writer = (channel: number): ReturnType<typeof channelWriter> => channelWriter((chunk) => wsSend(ws, protocol, channel, chunk));
  return {
    io: {
      stdin,
      stdout: opts.stdout ? writer(CHANNEL.stdout) : null,
      stderr: opts.stderr ? writer(CHANNEL.stderr) : null,
      tty: opts.tty,
      resize,
    },
    hangup: hangup.signal,
    finish: async (outcome: CommandOutcome) => {
      finishing = true;
      const payload = errorChannelPayload(outcome, protocol.statusJson);
      if (payload) await wsSend(ws, protocol, CHANNEL.error, payload).catch(() => undefined);
      endInputs();
      await new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
        // A client that never answers the close handshake is cut off.
        setTimeout(() => ws.terminate(), 5000).unref();
      });
    },
    destroy: () => ws.terminate(),
  };
}
