import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { SpdySession } from './spdy-session.js';
import { FrameParser, encodeFrame, type RawFrame } from './spdy-frames.js';
import { HeaderCompressor } from './spdy-headers.js';

async function socketPair(): Promise<[Socket, Socket]> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  const accepted = once(srv, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [server] = await accepted;
  srv.close();
  return [client, server];
}

/** Collects the frames a raw peer receives. */
function frames(sock: Socket): { got: RawFrame[]; next: (kind: RawFrame['kind']) => Promise<RawFrame> } {
  const parser = new FrameParser();
  const got: RawFrame[] = [];
  const waiters: (() => void)[] = [];
  sock.on('data', (c: Buffer) => {
    got.push(...parser.push(c));
    waiters.splice(0).forEach((w) => w());
  });
  const next = (kind: RawFrame['kind']): Promise<RawFrame> =>
    new Promise((resolve) => {
      const check = (): void => {
        const i = got.findIndex((f) => f.kind === kind);
        if (i >= 0) resolve(got.splice(i, 1)[0] as RawFrame);
        else waiters.push(check);
      };
      check();
    });
  return { got, next };
}

test('a client and a server session open streams, move data both ways and half-close with FIN', async () => {
  const [a, b] = await socketPair();
  const client = new SpdySession(a, 'client');
  const server = new SpdySession(b, 'server');
  server.on('stream', (s) => {
    assert.equal(s.header('streamType'), 'stdout');
    void server.reply(s);
    s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
    s.on('end', () => s.end());
  });
  const s = await client.openStream(new Map([['streamtype', ['stdout']]]));
  assert.equal(s.id, 1);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.end('spdy');
  await once(s, 'end');
  assert.equal(Buffer.concat(chunks).toString(), 'SPDY');
  const second = client.openStream(new Map([['streamtype', ['stdout']]]));
  assert.equal((await second).id, 3);
  await client.close();
  await server.closed;
});

test('a server session echoes the peer\'s PING, refuses a reused stream id, ends on GOAWAY', async () => {
  const [a, b] = await socketPair();
  const server = new SpdySession(b, 'server');
  const opened: number[] = [];
  server.on('stream', (s) => {
    opened.push(s.id);
    void server.reply(s);
  });
  const peer = frames(a);
  const z = new HeaderCompressor();
  a.write(encodeFrame({ kind: 'ping', id: 1 }));
  assert.deepEqual(await peer.next('ping'), { kind: 'ping', id: 1 });
  const syn = async (streamId: number): Promise<Buffer> =>
    encodeFrame({ kind: 'syn_stream', streamId, associatedStreamId: 0, priority: 0, slot: 0, flags: 0, headerBlock: await z.compress(new Map([['streamtype', ['error']]])) });
  a.write(await syn(1));
  assert.equal((await peer.next('syn_reply')).kind, 'syn_reply');
  a.write(await syn(1));
  assert.deepEqual(await peer.next('rst_stream'), { kind: 'rst_stream', streamId: 1, status: 1 });
  a.write(await syn(2)); // even ids are the server's own
  assert.deepEqual(await peer.next('rst_stream'), { kind: 'rst_stream', streamId: 2, status: 1 });
  assert.deepEqual(opened, [1]);
  a.write(encodeFrame({ kind: 'goaway', lastGoodStreamId: 0, status: 0 }));
  await server.closed;
  z.close();
  a.destroy();
});

test('a header block that does not decompress ends the session', async () => {
  const [a, b] = await socketPair();
  const server = new SpdySession(b, 'server');
  a.write(encodeFrame({ kind: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 0, slot: 0, flags: 0, headerBlock: Buffer.from('garbage!') }));
  await server.closed;
  assert.ok(server.isClosed);
  a.destroy();
});
