/**
 * The streaming server end to end over real sockets, driven as kubectl (through kubelet) drives it:
 * SPDY/3.1 and WebSocket clients, a runtime that runs real processes (/bin/sh) and forwards to a
 * real TCP server on 127.0.0.1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { NotFound, Unavailable } from '../../../errdefs/index.js';
import { StreamingServer, type StreamIO, type StreamRuntime, type TerminalSize } from './index.js';
import { WsChannelClient, openCommandStreams, openPortForwardStreams, readAll, spdyConnect, type Refused, type Upgraded } from './client.js';
import { CHANNEL } from './ws-channels.js';

/** Runs commands as host processes; records every child so the tests can check nothing is left. */
class ProcessRuntime implements StreamRuntime {
  readonly children: ChildProcess[] = [];
  readonly exits: Promise<{ code: number | null; signal: NodeJS.Signals | null }>[] = [];
  readonly resizes: TerminalSize[] = [];
  readonly forwards: number[] = [];

  exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }> {
    if (containerId !== 'c1') return Promise.reject(new NotFound(`no such container: ${containerId}`));
    const [file, ...args] = cmd;
    const child = spawn(file ?? '', args, { stdio: 'pipe' });
    this.children.push(child);
    const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    this.exits.push(exited);
    const kill = (): void => void child.kill('SIGKILL');
    io.signal.addEventListener('abort', kill, { once: true });
    if (io.stdin) io.stdin.pipe(child.stdin);
    else child.stdin.end();
    child.stdin.on('error', () => undefined);
    if (io.stdout) child.stdout.pipe(io.stdout);
    else child.stdout.resume();
    if (io.stderr) child.stderr.pipe(io.stderr);
    else child.stderr.resume();
    if (io.resize) void (async () => { for await (const size of io.resize ?? []) this.resizes.push(size); })();
    return exited.then(({ code }) => {
      io.signal.removeEventListener('abort', kill);
      return { exitCode: code ?? 137 };
    });
  }

  async attach(containerId: string, io: StreamIO): Promise<void> {
    // The "main process" of container c1 is a cat started for the attach.
    await this.exec(containerId, ['cat'], io);
  }

  async portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    if (podSandboxId !== 'p1') throw new NotFound(`no such pod sandbox: ${podSandboxId}`);
    this.forwards.push(port);
    const sock = connect(port, '127.0.0.1');
    try {
      await once(sock, 'connect');
    } catch {
      throw new Unavailable(`nothing listens on port ${port} in the pod`);
    }
    const stop = (): void => void sock.destroy();
    signal.addEventListener('abort', stop, { once: true });
    stream.pipe(sock);
    sock.pipe(stream);
    await once(sock, 'close');
    signal.removeEventListener('abort', stop);
  }
}

const runtime = new ProcessRuntime();
const server = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime });
/** Sends back what it gets in upper case, and ends when the client ends. */
const tcp: Server = createServer((s) => {
  s.on('data', (c: Buffer) => s.write(c.toString('latin1').toUpperCase()));
  s.on('end', () => s.end());
  s.on('error', () => undefined);
});
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
const tcpPort = (tcp.address() as { port: number }).port;

after(async () => {
  await server.close();
  await new Promise((r) => tcp.close(r));
  // Every process any test started has exited.
  const exits = await Promise.all(runtime.exits);
  assert.equal(exits.length, runtime.children.length);
  for (const c of runtime.children) assert.notEqual(c.exitCode ?? c.signalCode, null);
});

const execReq = (cmd: string[], o: Partial<{ stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean; containerId: string }> = {}) =>
  server.getExec({ containerId: o.containerId ?? 'c1', cmd, stdin: o.stdin ?? true, stdout: o.stdout ?? true, stderr: o.stderr ?? !o.tty, tty: o.tty ?? false });

function upgraded(r: Upgraded | Refused): Upgraded {
  if (r.kind !== 'spdy') assert.fail(`refused with ${r.status}: ${r.body}`);
  return r;
}

test('SPDY v4 exec: stdin reaches the process, stdout and stderr come back apart, exit 0 is Success', async () => {
  const url = execReq(['sh', '-c', 'cat; echo oops >&2']);
  assert.match(url, new RegExp(`^${server.url}/exec/[A-Za-z0-9_-]+$`));
  const c = upgraded(await spdyConnect(url, ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']));
  assert.equal(c.protocol, 'v4.channel.k8s.io');
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: true, resize: false });
  const [out, err, status] = [readAll(s.stdout!), readAll(s.stderr!), readAll(s.error)];
  s.stdin!.write('hello\n');
  s.stdin!.end('world\n');
  assert.equal((await out).toString(), 'hello\nworld\n');
  assert.equal((await err).toString(), 'oops\n');
  assert.deepEqual(JSON.parse((await status).toString()), { metadata: {}, status: 'Success' });
  await c.session.closed;
});

test('megabytes through exec and port forward arrive whole and in order (SPDY and WebSocket)', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0x7f;
  const c = upgraded(await spdyConnect(execReq(['cat'], { stderr: false }), ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: false, resize: false });
  const out = readAll(s.stdout!);
  s.stdin!.end(big);
  assert.ok((await out).equals(big));

  const w = await wsConnect(execReq(['cat'], { stderr: false }), ['v5.channel.k8s.io']);
  for (let off = 0; off < big.length; off += 100_000) w.send(CHANNEL.stdin, big.subarray(off, off + 100_000));
  w.closeChannel(CHANNEL.stdin);
  await w.closed;
  assert.ok(Buffer.concat(w.received.get(CHANNEL.stdout) ?? []).equals(big));

  const pf = upgraded(await spdyConnect(server.getPortForward({ podSandboxId: 'p1', ports: [] }), ['portforward.k8s.io']));
  const conn = await openPortForwardStreams(pf.session, tcpPort, 7);
  const back = readAll(conn.data);
  conn.data.end(big);
  assert.ok((await back).equals(Buffer.from(big.toString('latin1').toUpperCase(), 'latin1')));
  await pf.session.close();
});

test('SPDY v4 exec: a non-zero exit is NonZeroExitCode with the code as the ExitCode cause', async () => {
  const c = upgraded(await spdyConnect(execReq(['sh', '-c', 'echo bye; exit 3'], { stdin: false }), ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: false, stdout: true, stderr: true, resize: false });
  const [out, status] = await Promise.all([readAll(s.stdout!), readAll(s.error)]);
  assert.equal(out.toString(), 'bye\n');
  const st = JSON.parse(status.toString());
  assert.equal(st.status, 'Failure');
  assert.equal(st.reason, 'NonZeroExitCode');
  assert.deepEqual(st.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
});

test('SPDY v3 and v2: errors are plain text, success sends nothing, v2 has no resize stream', async () => {
  const v3 = upgraded(await spdyConnect(execReq(['sh', '-c', 'exit 5'], { stdin: false }), ['v3.channel.k8s.io']));
  assert.equal(v3.protocol, 'v3.channel.k8s.io');
  const s3 = await openCommandStreams(v3.session, { stdin: false, stdout: true, stderr: true, resize: false });
  assert.equal((await readAll(s3.error)).toString(), 'command terminated with non-zero exit code: command [sh -c exit 5] exited with 5');

  const v2 = upgraded(await spdyConnect(execReq(['sh', '-c', 'read x; echo "[$x]"'], { tty: true }), ['v2.channel.k8s.io']));
  // A stream of a type v2 does not know is answered but not counted.
  await v2.session.openStream(new Map([['streamtype', ['resize']]]));
  // With a TTY, v2 expects error, stdin and stdout only: the session starts without a resize stream.
  const s2 = await openCommandStreams(v2.session, { stdin: true, stdout: true, stderr: false, resize: false });
  s2.stdin!.end('v2\n');
  assert.equal((await readAll(s2.stdout!)).toString(), '[v2]\n');
  assert.equal((await readAll(s2.error)).length, 0);
});

test('SPDY TTY exec: the terminal sizes the client sends reach the runtime in order', async () => {
  const before = runtime.resizes.length;
  const c = upgraded(await spdyConnect(execReq(['sh', '-c', 'read x; echo "got $x"'], { tty: true }), ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: false, resize: true });
  s.resize!.write(JSON.stringify({ Width: 80, Height: 24 }) + '\n');
  s.resize!.write(JSON.stringify({ Width: 132, Height: 50 }) + '\n');
  const out = readAll(s.stdout!);
  // The line is sent once both sizes are out: frames of one session keep their order.
  await new Promise<void>((r) => s.resize!.write('', () => r()));
  s.stdin!.end('go\n');
  assert.equal((await out).toString(), 'got go\n');
  assert.deepEqual(JSON.parse((await readAll(s.error)).toString()).status, 'Success');
  assert.deepEqual(runtime.resizes.slice(before), [
    { width: 80, height: 24 },
    { width: 132, height: 50 },
  ]);
});

test('SPDY attach: stdin and stdout of the attached process, Success when it ends', async () => {
  const url = server.getAttach({ containerId: 'c1', stdin: true, stdout: true, stderr: false, tty: false });
  assert.match(url, /\/attach\//);
  const c = upgraded(await spdyConnect(url, ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: false, resize: false });
  s.stdin!.end('attached\n');
  assert.equal((await readAll(s.stdout!)).toString(), 'attached\n');
  assert.equal(JSON.parse((await readAll(s.error)).toString()).status, 'Success');
});

test('an exec the runtime cannot start ends with an InternalError status naming the reason', async () => {
  const c = upgraded(await spdyConnect(execReq(['true'], { containerId: 'ghost', stdin: false }), ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: false, stdout: true, stderr: true, resize: false });
  const st = JSON.parse((await readAll(s.error)).toString());
  assert.equal(st.reason, 'InternalError');
  assert.equal(st.message, 'Internal error occurred: error executing command in container: no such container: ghost');
});

test('unknown, used and expired tokens get 404; requests kubelet refuses are refused', async () => {
  const unknown = await spdyConnect(`${server.url}/exec/AAAAAAAAAAA`, ['v4.channel.k8s.io']);
  assert.equal(unknown.kind === 'refused' && unknown.status, 404);
  const url = execReq(['true'], { stdin: false });
  const first = upgraded(await spdyConnect(url, ['v4.channel.k8s.io']));
  const again = await spdyConnect(url, ['v4.channel.k8s.io']);
  assert.equal(again.kind === 'refused' && again.status, 404);
  const s = await openCommandStreams(first.session, { stdin: false, stdout: true, stderr: true, resize: false });
  await readAll(s.error);
  // A token of another kind does not serve this path.
  const pf = server.getPortForward({ podSandboxId: 'p1', ports: [] });
  const wrongPath = await spdyConnect(pf.replace('/portforward/', '/exec/'), ['v4.channel.k8s.io']);
  assert.equal(wrongPath.kind === 'refused' && wrongPath.status, 404);

  const short = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime, tokenTtlMs: 1, advertiseHost: 'localhost' });
  try {
    assert.match(short.url, /^http:\/\/localhost:\d+$/);
    const stale = short.getExec({ containerId: 'c1', cmd: ['true'], stdin: false, stdout: true, stderr: false, tty: false });
    await new Promise((r) => setTimeout(r, 20));
    const expired = await spdyConnect(stale.replace('//localhost:', '//127.0.0.1:'), ['v4.channel.k8s.io']);
    assert.equal(expired.kind === 'refused' && expired.status, 404);
  } finally {
    await short.close();
  }
  assert.throws(() => server.getExec({ containerId: 'c1', cmd: ['sh'], stdin: true, stdout: true, stderr: true, tty: true }), /tty and stderr cannot both be true/);
});

test('bad upgrades: no upgrade headers or another protocol is 400, no common subprotocol is 403', async () => {
  const plainGet = await fetch(execReq(['true']), { headers: { 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' } });
  assert.equal(plainGet.status, 400);
  assert.match(await plainGet.text(), /unable to upgrade: missing upgrade headers/);
  const h2c = await spdyConnect(execReq(['true']), ['v4.channel.k8s.io'], { Upgrade: 'h2c' });
  assert.equal(h2c.kind === 'refused' && h2c.status, 400);
  const noVersion = await spdyConnect(execReq(['true']), []);
  assert.ok(noVersion.kind === 'refused');
  assert.equal(noVersion.status, 400);
  assert.match(noVersion.body, /X-Stream-Protocol-Version is required/);
  const v9 = await spdyConnect(execReq(['true']), ['v9.channel.k8s.io']);
  assert.ok(v9.kind === 'refused');
  assert.equal(v9.status, 403);
  assert.match(v9.body, /unable to negotiate protocol: client supports \[v9.channel.k8s.io\]/);
  assert.equal(v9.headers['x-accepted-stream-protocol-versions'], 'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io');
  const ws = await WsChannelClient.connect(execReq(['true']), ['v9.channel.k8s.io']);
  assert.ok(!(ws instanceof WsChannelClient) && ws.status === 403);
});

async function wsConnect(url: string, protocols: string[]): Promise<WsChannelClient> {
  const c = await WsChannelClient.connect(url, protocols);
  if (!(c instanceof WsChannelClient)) assert.fail(`refused with ${c.status}: ${c.body}`);
  return c;
}

test('WebSocket v5 exec: stdin closed by the close signal, stdout and stderr apart, exit code in the status', async () => {
  const c = await wsConnect(execReq(['sh', '-c', 'cat; echo oops >&2; exit 4']), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.equal(c.protocol, 'v5.channel.k8s.io');
  c.send(CHANNEL.stdin, 'over ws\n');
  c.closeChannel(CHANNEL.stdin);
  const { code } = await c.closed;
  assert.equal(code, 1000);
  assert.equal(c.text(CHANNEL.stdout), 'over ws\n');
  assert.equal(c.text(CHANNEL.stderr), 'oops\n');
  const st = JSON.parse(c.text(CHANNEL.error));
  assert.equal(st.reason, 'NonZeroExitCode');
  assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '4' }]);
  // The first message was the empty one on stdout that tells the client the session is up.
  assert.equal(c.received.get(CHANNEL.stdout)?.[0]?.length, 0);
});

test('WebSocket v4 exec with a TTY: resize reaches the runtime, exit 0 is Success; base64 works too', async () => {
  const before = runtime.resizes.length;
  const c = await wsConnect(execReq(['sh', '-c', 'read x; echo "tty $x"'], { tty: true }), ['v4.channel.k8s.io']);
  c.send(CHANNEL.resize, JSON.stringify({ Width: 100, Height: 30 }));
  c.send(CHANNEL.stdin, 'ok\n');
  await c.closed;
  assert.equal(c.text(CHANNEL.stdout), 'tty ok\n');
  assert.deepEqual(JSON.parse(c.text(CHANNEL.error)), { metadata: {}, status: 'Success' });
  assert.deepEqual(runtime.resizes.slice(before), [{ width: 100, height: 30 }]);

  const b = await wsConnect(execReq(['sh', '-c', 'read x; echo "b64 $x"; exit 2'], { stdin: true }), ['v4.base64.channel.k8s.io']);
  b.send(CHANNEL.stdin, 'fine\n');
  await b.closed;
  assert.equal(b.text(CHANNEL.stdout), 'b64 fine\n');
  assert.equal(JSON.parse(b.text(CHANNEL.error)).details.causes[0].message, '2');
});

test('a client that hangs up mid-command gets its process killed (SPDY and WebSocket)', async () => {
  const c = upgraded(await spdyConnect(execReq(['sh', '-c', 'echo started; exec sleep 1000']), ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: true, resize: false });
  await new Promise<void>((r) => s.stdout!.once('data', () => r()));
  const spdyChild = runtime.exits.length - 1;
  c.socket.destroy();
  assert.deepEqual(await runtime.exits[spdyChild], { code: null, signal: 'SIGKILL' });

  const w = await wsConnect(execReq(['sh', '-c', 'echo started; exec sleep 1000']), ['v5.channel.k8s.io']);
  await w.waitFor(CHANNEL.stdout, (t) => t === 'started\n');
  const wsChild = runtime.exits.length - 1;
  w.ws.terminate();
  assert.deepEqual(await runtime.exits[wsChild], { code: null, signal: 'SIGKILL' });
});

test('SPDY port forward: two connections by requestID, bytes both ways, an unreachable port reported on the error stream', async () => {
  const c = upgraded(await spdyConnect(server.getPortForward({ podSandboxId: 'p1', ports: [] }), ['portforward.k8s.io']));
  assert.equal(c.protocol, 'portforward.k8s.io');
  const [a, b] = await Promise.all([openPortForwardStreams(c.session, tcpPort, 0), openPortForwardStreams(c.session, tcpPort, 1)]);
  const [outA, outB] = [readAll(a.data), readAll(b.data)];
  a.data.end('first');
  b.data.end(Buffer.alloc(200_000, 'x'));
  assert.equal((await outA).toString(), 'FIRST');
  assert.equal((await outB).toString(), 'X'.repeat(200_000));
  assert.equal((await readAll(a.error)).length, 0);

  const dead = await openPortForwardStreams(c.session, 1, 2);
  const err = JSON.parse((await readAll(dead.error)).toString());
  assert.deepEqual(err, { closeConnection: true, message: 'error forwarding port 1 to pod p1: nothing listens on port 1 in the pod' });
  await c.session.close();
});

test('SPDY port forward refuses a stream without a valid port or stream type', async () => {
  const c = upgraded(await spdyConnect(server.getPortForward({ podSandboxId: 'p1', ports: [] }), ['portforward.k8s.io']));
  await assert.rejects(c.session.openStream(new Map([['streamtype', ['data']], ['port', ['0']]])), /refused stream/);
  await assert.rejects(c.session.openStream(new Map([['streamtype', ['bogus']], ['port', ['80']]])), /refused stream/);
  await c.session.close();
});

test('WebSocket port forward: each channel opens with its port, data goes both ways', async () => {
  const url = server.getPortForward({ podSandboxId: 'p1', ports: [tcpPort] });
  const c = await wsConnect(`${url}?port=${tcpPort}`, ['v4.channel.k8s.io']);
  const le = Buffer.alloc(2);
  le.writeUInt16LE(tcpPort);
  // Counted in messages: the two port bytes need not be text of two characters.
  await c.waitFor(1, () => (c.received.get(1)?.length ?? 0) >= 1);
  assert.deepEqual(c.received.get(0)?.[0], le);
  assert.deepEqual(c.received.get(1)?.[0], le);
  c.send(0, 'via ws');
  await c.waitFor(0, (t) => t.endsWith('VIA WS'));
  assert.equal(Buffer.concat(c.received.get(0)?.slice(1) ?? []).toString(), 'VIA WS');
  const noPort = await WsChannelClient.connect(server.getPortForward({ podSandboxId: 'p1', ports: [] }), ['v4.channel.k8s.io']);
  assert.ok(!(noPort instanceof WsChannelClient) && noPort.status === 400);
  c.ws.close();
  await c.closed;
  assert.ok(runtime.forwards.includes(tcpPort));
});

test('a session idle for the idle timeout is cut and its process killed', async () => {
  const other = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime, streamIdleTimeoutMs: 300 });
  try {
    const url = other.getExec({ containerId: 'c1', cmd: ['sh', '-c', 'echo up; exec sleep 1000'], stdin: false, stdout: true, stderr: false, tty: false });
    const c = await wsConnect(url, ['v5.channel.k8s.io']);
    // The process started with the upgrade; nothing moves after its "up", so the session is cut.
    const child = runtime.exits.length - 1;
    await c.closed;
    assert.deepEqual(await runtime.exits[child], { code: null, signal: 'SIGKILL' });
  } finally {
    await other.close();
  }
});

test('stopping the server ends running sessions and kills their processes', async () => {
  const other = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime });
  const url = other.getExec({ containerId: 'c1', cmd: ['sh', '-c', 'echo up; exec sleep 1000'], stdin: false, stdout: true, stderr: false, tty: false });
  const c = upgraded(await spdyConnect(url, ['v4.channel.k8s.io']));
  const s = await openCommandStreams(c.session, { stdin: false, stdout: true, stderr: false, resize: false });
  await new Promise<void>((r) => s.stdout!.once('data', () => r()));
  const child = runtime.exits.length - 1;
  await other.close();
  assert.deepEqual(await runtime.exits[child], { code: null, signal: 'SIGKILL' });
  await c.session.closed;
});
