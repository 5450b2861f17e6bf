/**
 * SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 with the 3.1 session flow control): the binary
 * layout of every frame, without the header compression, which spdy-headers.ts adds. Pure
 * functions: encodeFrame turns a frame into bytes, FrameParser cuts a byte stream into frames.
 *
 * Why our own framing and not the npm `spdy-transport`: that package (last release 3.0.0, 2018) is
 * built for HTTP over SPDY (it expects :method/:path request headers and push streams) and drags
 * readable-stream 3, hpack.js, obuf and wbuf along. Kubernetes' peer is moby/spdystream, which uses
 * SPDY only as a stream multiplexer: SYN_STREAM frames carry arbitrary headers (`streamtype`,
 * `port`, `requestid`), replies are empty, and it neither sends nor honours WINDOW_UPDATE. The
 * handful of frames that needs is small enough to own and test byte for byte.
 */
import { InvalidArgument } from '../../../errdefs/index.js';

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** A frame's payload length is 24 bits. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

/** RST_STREAM status codes (§2.6.3). */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

/** GOAWAY status codes (§2.6.6). */
export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

export interface SettingsEntry {
  flags: number;
  id: number;
  value: number;
}

/** A frame as it is on the wire, with header blocks still compressed. */
export type RawFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'syn_stream'; streamId: number; associatedStreamId: number; priority: number; slot: number; flags: number; headerBlock: Buffer }
  | { kind: 'syn_reply'; streamId: number; flags: number; headerBlock: Buffer }
  | { kind: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { kind: 'rst_stream'; streamId: number; status: number }
  | { kind: 'settings'; flags: number; entries: SettingsEntry[] }
  | { kind: 'ping'; id: number }
  | { kind: 'goaway'; lastGoodStreamId: number; status: number }
  | { kind: 'window_update'; streamId: number; delta: number }
  | { kind: 'unknown'; version: number; type: number; flags: number; payload: Buffer };

const STREAM_ID_MASK = 0x7fffffff;

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new InvalidArgument(`a SPDY frame of ${payload.length} bytes is too large`);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The bytes of one frame. */
export function encodeFrame(f: RawFrame): Buffer {
  switch (f.kind) {
    case 'data': {
      if (f.data.length > MAX_FRAME_PAYLOAD) throw new InvalidArgument(`a SPDY data frame of ${f.data.length} bytes is too large`);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(f.streamId & STREAM_ID_MASK, 0);
      head.writeUInt32BE(((f.flags & 0xff) << 24 | f.data.length) >>> 0, 4);
      return Buffer.concat([head, f.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(f.associatedStreamId & STREAM_ID_MASK, 4);
      fixed.writeUInt8((f.priority & 0x7) << 5, 8);
      fixed.writeUInt8(f.slot & 0xff, 9);
      return controlFrame(ControlType.SynStream, f.flags, Buffer.concat([fixed, f.headerBlock]));
    }
    case 'syn_reply':
      return controlFrame(ControlType.SynReply, f.flags, Buffer.concat([u32(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'headers':
      return controlFrame(ControlType.Headers, f.flags, Buffer.concat([u32(f.streamId & STREAM_ID_MASK), f.headerBlock]));
    case 'rst_stream':
      return controlFrame(ControlType.RstStream, 0, u32(f.streamId & STREAM_ID_MASK, f.status));
    case 'settings': {
      const body = Buffer.alloc(4 + f.entries.length * 8);
      body.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return controlFrame(ControlType.Settings, f.flags, body);
    }
    case 'ping':
      return controlFrame(ControlType.Ping, 0, u32(f.id));
    case 'goaway':
      return controlFrame(ControlType.GoAway, 0, u32(f.lastGoodStreamId & STREAM_ID_MASK, f.status));
    case 'window_update':
      return controlFrame(ControlType.WindowUpdate, 0, u32(f.streamId & STREAM_ID_MASK, f.delta & STREAM_ID_MASK));
    case 'unknown': {
      const head = Buffer.alloc(8);
      head.writeUInt16BE(0x8000 | (f.version & 0x7fff), 0);
      head.writeUInt16BE(f.type, 2);
      head.writeUInt32BE(((f.flags & 0xff) << 24 | f.payload.length) >>> 0, 4);
      return Buffer.concat([head, f.payload]);
    }
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new InvalidArgument(`a SPDY ${what} frame of ${payload.length} bytes is shorter than its ${n}-byte fixed part`);
}

function decodeControl(version: number, type: number, flags: number, p: Buffer): RawFrame {
  if (version !== SPDY_VERSION) return { kind: 'unknown', version, type, flags, payload: p };
  switch (type) {
    case ControlType.SynStream:
      need(p, 10, 'SYN_STREAM');
      return {
        kind: 'syn_stream',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        associatedStreamId: p.readUInt32BE(4) & STREAM_ID_MASK,
        priority: p.readUInt8(8) >> 5,
        slot: p.readUInt8(9),
        flags,
        headerBlock: p.subarray(10),
      };
    case ControlType.SynReply:
      need(p, 4, 'SYN_REPLY');
      return { kind: 'syn_reply', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case ControlType.Headers:
      need(p, 4, 'HEADERS');
      return { kind: 'headers', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case ControlType.RstStream:
      need(p, 8, 'RST_STREAM');
      return { kind: 'rst_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case ControlType.Settings: {
      need(p, 4, 'SETTINGS');
      const n = p.readUInt32BE(0);
      need(p, 4 + n * 8, 'SETTINGS');
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < n; i++) {
        const idf = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: idf >>> 24, id: idf & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { kind: 'settings', flags, entries };
    }
    case ControlType.Ping:
      need(p, 4, 'PING');
      return { kind: 'ping', id: p.readUInt32BE(0) };
    case ControlType.GoAway:
      need(p, 8, 'GOAWAY');
      return { kind: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      need(p, 8, 'WINDOW_UPDATE');
      return { kind: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { kind: 'unknown', version, type, flags, payload: p };
  }
}

/** Cuts a byte stream into frames; push() returns the frames that are complete so far. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RawFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RawFrame[] = [];
    while (this.buf.length >= 8) {
      const w0 = this.buf.readUInt32BE(0);
      const w1 = this.buf.readUInt32BE(4);
      const len = w1 & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const flags = w1 >>> 24;
      const payload = Buffer.from(this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
      if (w0 & 0x80000000) {
        out.push(decodeControl((w0 >>> 16) & 0x7fff, w0 & 0xffff, flags, payload));
      } else {
        out.push({ kind: 'data', streamId: w0 & STREAM_ID_MASK, flags, data: payload });
      }
    }
    return out;
  }

  /** Bytes of a frame not yet complete. */
  get pending(): number {
    return this.buf.length;
  }
}
