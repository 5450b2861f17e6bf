/**
 * The channel framing of Kubernetes' WebSocket subprotocols (apimachinery wsstream): every message
 * starts with its channel number. In the binary protocols (`channel.k8s.io`, `v4.channel.k8s.io`,
 * `v5.channel.k8s.io`) that is one byte followed by raw data; in the base64 ones
 * (`base64.channel.k8s.io`, `v4.base64.channel.k8s.io`) it is the ASCII digit '0'+n followed by
 * the base64 of the data, sent as text. v5 adds a close signal: channel 255 with one byte naming
 * the channel whose writer is done (the client closing stdin).
 */
import { InvalidArgument } from '../../../errdefs/index.js';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
export const CLOSE_SIGNAL = 255;

export interface WsProtocol {
  name: string;
  base64: boolean;
  /** The error channel carries a metav1.Status as JSON (v4 and later) instead of plain text. */
  statusJson: boolean;
  /** The client may send the close signal (v5). */
  closeSignal: boolean;
}

const PROTOCOLS: WsProtocol[] = [
  { name: 'v5.channel.k8s.io', base64: false, statusJson: true, closeSignal: true },
  { name: 'v4.channel.k8s.io', base64: false, statusJson: true, closeSignal: false },
  { name: 'v4.base64.channel.k8s.io', base64: true, statusJson: true, closeSignal: false },
  { name: 'channel.k8s.io', base64: false, statusJson: false, closeSignal: false },
  { name: 'base64.channel.k8s.io', base64: true, statusJson: false, closeSignal: false },
];
/** What a client that names no subprotocol gets: binary channels, plain-text errors. */
const NO_PROTOCOL: WsProtocol = { name: '', base64: false, statusJson: false, closeSignal: false };

/**
 * The protocol for the client's offer (Sec-WebSocket-Protocol, in its order of preference), among
 * `allowed` names; undefined when the client offered only protocols not allowed.
 */
export function negotiateWsProtocol(offered: string[], allowed: readonly string[]): WsProtocol | undefined {
  if (offered.length === 0) return NO_PROTOCOL;
  for (const name of offered) {
    const p = PROTOCOLS.find((q) => q.name === name);
    if (p && allowed.includes(name)) return p;
  }
  return undefined;
}

export const EXEC_WS_PROTOCOLS = PROTOCOLS.map((p) => p.name);
/** Port forward speaks the v4 binary and base64 channel protocols (kubelet's portforward/websocket.go). */
export const PORT_FORWARD_WS_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** One message to send: a Buffer for binary protocols, a string for base64 ones. */
export function encodeChannelMessage(protocol: WsProtocol, channel: number, data: Buffer): Buffer | string {
  if (protocol.base64) return String.fromCharCode(48 + channel) + data.toString('base64');
  const msg = Buffer.allocUnsafe(data.length + 1);
  msg[0] = channel;
  data.copy(msg, 1);
  return msg;
}

export type ChannelMessage =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number }
  | { kind: 'empty' };

/** A received message, binary or text, as the channel and data it carries. */
export function decodeChannelMessage(protocol: WsProtocol, msg: Buffer): ChannelMessage {
  if (msg.length === 0) return { kind: 'empty' };
  if (protocol.base64) {
    const channel = (msg[0] ?? 0) - 48;
    if (channel < 0 || channel > 9) throw new InvalidArgument(`a base64 channel message must start with a digit, not ${JSON.stringify(String.fromCharCode(msg[0] ?? 0))}`);
    const text = msg.subarray(1).toString('latin1');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new InvalidArgument(`channel ${channel} sent data that is not base64`);
    return { kind: 'data', channel, data: Buffer.from(text, 'base64') };
  }
  const channel = msg[0] ?? 0;
  if (channel === CLOSE_SIGNAL && protocol.closeSignal) {
    if (msg.length < 2) throw new InvalidArgument('a close signal must name the channel it closes');
    return { kind: 'close', channel: msg[1] ?? 0 };
  }
  return { kind: 'data', channel, data: msg.subarray(1) };
}

/** The first message of each port forward channel: the port, 16 bits little-endian. */
export function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}
