import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { encodeWsFrame, webSocketAccept, WebSocketStream } from './websocket.js';

/** A client frame: always masked (RFC 6455 §5.1). */
function clientFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | n]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, n >> 8, n & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i & 3] as number)));
  return Buffer.concat([head, mask, body]);
}

/** Server frames out of the bytes written to the socket. */
function serverFrames(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let off = 0;
  while (off < bytes.length) {
    const opcode = (bytes[off] as number) & 0x0f;
    let len = (bytes[off + 1] as number) & 0x7f;
    assert.equal((bytes[off + 1] as number) & 0x80, 0, 'server frames are not masked');
    let at = off + 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    out.push({ opcode, payload: bytes.subarray(at, at + len) });
    off = at + len;
  }
  return out;
}

function pair(binary = true): { ws: WebSocketStream; socket: PassThrough; written: () => Buffer; read: () => Buffer } {
  const socket = new PassThrough();
  const writes: Buffer[] = [];
  const origWrite = socket.write.bind(socket);
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    writes.push(Buffer.from(chunk));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof socket.write;
  void origWrite;
  const ws = new WebSocketStream(socket, Buffer.alloc(0), binary ? 2 : 1);
  const got: Buffer[] = [];
  ws.on('data', (c: Buffer) => got.push(c));
  return { ws, socket, written: () => Buffer.concat(writes), read: () => Buffer.concat(got) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('the handshake key is RFC 6455\'s example answer', () => {
  assert.equal(webSocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frames: short, 16-bit and 64-bit lengths', () => {
  assert.deepEqual([...encodeWsFrame(2, Buffer.from('hi'))], [0x82, 2, 0x68, 0x69]);
  const mid = encodeWsFrame(1, Buffer.alloc(300));
  assert.equal(mid[1], 126);
  assert.equal(mid.readUInt16BE(2), 300);
  const big = encodeWsFrame(2, Buffer.alloc(70000));
  assert.equal(big[1], 127);
  assert.equal(Number(big.readBigUInt64BE(2)), 70000);
});

test('masked client messages are unmasked, also split across reads and fragmented', async () => {
  const p = pair();
  const f = clientFrame(2, Buffer.from('hello '));
  p.socket.emit('data', f.subarray(0, 3));
  p.socket.emit('data', f.subarray(3));
  p.socket.emit('data', Buffer.concat([clientFrame(1, Buffer.from('wor'), false), clientFrame(0, Buffer.from('ld'))]));
  p.socket.emit('data', clientFrame(2, Buffer.alloc(200, 0x61)));
  await tick();
  assert.equal(p.read().toString(), `hello world${'a'.repeat(200)}`);
});

test('writes go out as one binary (or text) message each; ping is answered with pong', async () => {
  const p = pair();
  p.ws.write(Buffer.from('out'));
  p.socket.emit('data', clientFrame(9, Buffer.from('pp')));
  await tick();
  assert.deepEqual(serverFrames(p.written()).map((f) => [f.opcode, f.payload.toString()]), [[2, 'out'], [10, 'pp']]);
  const t = pair(false);
  t.ws.write(Buffer.from('txt'));
  await tick();
  assert.equal(serverFrames(t.written())[0]?.opcode, 1);
});

test('a close from the client ends the stream and is answered; end() sends close 1000', async () => {
  const p = pair();
  let ended = false;
  p.ws.on('end', () => (ended = true));
  const code = Buffer.alloc(2);
  code.writeUInt16BE(1000);
  p.socket.emit('data', clientFrame(8, code));
  await tick();
  assert.ok(ended);
  const frames = serverFrames(p.written());
  assert.equal(frames[0]?.opcode, 8);
  assert.equal(frames[0]?.payload.readUInt16BE(0), 1000);
  const q = pair();
  q.ws.end();
  await tick();
  assert.equal(serverFrames(q.written()).at(-1)?.payload.readUInt16BE(0), 1000);
});

test('an unmasked frame closes with 1002, an oversized one with 1009; nothing of either is read', async () => {
  const p = pair();
  p.socket.emit('data', Buffer.from([0x82, 2, 0x68, 0x69]));
  await tick();
  assert.equal(serverFrames(p.written())[0]?.payload.readUInt16BE(0), 1002);
  assert.equal(p.read().length, 0);
  const q = pair();
  const huge = Buffer.alloc(10);
  huge[0] = 0x82;
  huge[1] = 0x80 | 127;
  huge.writeBigUInt64BE(BigInt(1) << 40n, 2);
  q.socket.emit('data', huge);
  await tick();
  assert.equal(serverFrames(q.written())[0]?.payload.readUInt16BE(0), 1009);
});
