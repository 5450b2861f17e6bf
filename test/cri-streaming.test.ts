/**
 * The CRI streaming server on berth's exec, end to end: a busybox container in a private berthd
 * (runc, conmon), its exec driven by ExecStreamRuntime, and clients speaking SPDY/3.1 and WebSocket
 * v5 as kubectl does through kubelet. The exec operations reach berthd's ExecService through the
 * Engine API here (dockerode), since berthd does not serve CRI yet; inside berthd the CRI service
 * hands ExecService itself to ExecStreamRuntime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Writable } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon } from './helpers/daemon.js';
import {
  CHANNEL,
  ExecStreamRuntime,
  NetnsPortForwarder,
  StreamingServer,
  WsChannelClient,
  openCommandStreams,
  openPortForwardStreams,
  readAll,
  spdyConnect,
  type ExecBackend,
} from '../src/server/cri/streaming/index.js';
import type { ExecConfig } from '../src/services/index.js';

/** ExecService's three operations, over the Engine API of the test daemon. */
class EngineExecs implements ExecBackend {
  readonly pids: number[] = [];
  constructor(private readonly docker: Docker) {}

  async create(containerId: string, c: ExecConfig): Promise<{ id: string }> {
    const e = await this.docker.getContainer(containerId).exec({ Cmd: c.cmd, Tty: c.tty, AttachStdin: c.attachStdin, AttachStdout: c.attachStdout, AttachStderr: c.attachStderr });
    return { id: e.id };
  }

  async start(id: string, opts: { tty?: boolean }) {
    const e = this.docker.getExec(id);
    const conn = (await e.start({ hijack: true, stdin: true, Tty: opts.tty ?? false })) as unknown as NodeJS.ReadWriteStream & Writable;
    // berthd records the pid once the process runs; ExecService.start resolves only then.
    let info = await e.inspect();
    while (info.Pid === 0 && info.Running) info = await new Promise((r) => setTimeout(() => r(e.inspect()), 20));
    this.pids.push(info.Pid);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (opts.tty) conn.pipe(stdout);
    else this.docker.modem.demuxStream(conn, stdout, stderr);
    const ended = new Promise<void>((resolve) => {
      conn.once('end', resolve);
      conn.once('close', resolve);
    });
    void ended.then(() => {
      stdout.end();
      stderr.end();
    });
    const done = ended.then(async () => {
      for (;;) {
        const i = await e.inspect();
        if (!i.Running && i.ExitCode !== null) return i.ExitCode;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    return { record: { id, pid: info.Pid } as never, stdin: conn, stdout, stderr, done };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    await this.docker.getExec(id).resize({ h: height, w: width });
  }
}

let d: TestDaemon;
let cid = '';
let server: StreamingServer;
let execs: EngineExecs;

before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  const r = await d.berth(['run', '-d', '--name', 'pod-main', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  cid = r.stdout.trim();
  execs = new EngineExecs(new Docker({ socketPath: d.socket }));
  // The "pod sandbox" of these tests is the container: its network namespace is its process's.
  const pid = (await d.berth(['inspect', '-f', '{{.State.Pid}}', 'pod-main'])).stdout.trim();
  const portForwarder = new NetnsPortForwarder({
    netnsOf: async (pod) => {
      if (pod !== 'pod-main') throw new Error(`no such pod sandbox: ${pod}`);
      return `/proc/${pid}/ns/net`;
    },
  });
  server = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime: new ExecStreamRuntime(execs, { portForwarder }) });
});
after(async () => {
  await server?.close();
  await d?.cleanup();
});

const exec = (cmd: string[], o: { stdin?: boolean; tty?: boolean } = {}) =>
  server.getExec({ containerId: cid, cmd, stdin: o.stdin ?? true, stdout: true, stderr: !o.tty, tty: o.tty ?? false });

test('SPDY v4 exec in a container: stdin to stdout, stderr apart, the exit code in the error stream', async () => {
  const c = await spdyConnect(exec(['sh', '-c', 'tr a-z A-Z; echo "in $(hostname)" >&2; exit 3']), ['v4.channel.k8s.io', 'v3.channel.k8s.io']);
  assert.ok(c.kind === 'spdy');
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: true, resize: false });
  const [out, err, status] = [readAll(s.stdout!), readAll(s.stderr!), readAll(s.error)];
  s.stdin!.end('kubectl\n');
  assert.equal((await out).toString(), 'KUBECTL\n');
  assert.match((await err).toString(), /^in \w+\n$/);
  const st = JSON.parse((await status).toString());
  assert.equal(st.reason, 'NonZeroExitCode');
  assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('WebSocket v5 exec with a TTY in a container: the resize reaches the terminal (stty size)', async () => {
  // The shell watches its terminal's size for up to 10 s and prints it once it is the one sent.
  const watch = 'for i in $(seq 100); do stty size > /tmp/size; read s < /tmp/size; [ "$s" = "31 97" ] && break; sleep 0.1; done; echo "size $s"';
  const c = await WsChannelClient.connect(exec(['sh', '-c', watch], { tty: true }), ['v5.channel.k8s.io']);
  assert.ok(c instanceof WsChannelClient);
  c.send(CHANNEL.resize, JSON.stringify({ Width: 97, Height: 31 }));
  await c.closed;
  assert.match(c.text(CHANNEL.stdout), /size 31 97/);
  assert.deepEqual(JSON.parse(c.text(CHANNEL.error)), { metadata: {}, status: 'Success' });
});

test('a client that hangs up mid-exec gets the process in the container killed', async () => {
  const c = await spdyConnect(exec(['sh', '-c', 'echo started; exec sleep 500']), ['v4.channel.k8s.io']);
  assert.ok(c.kind === 'spdy');
  const s = await openCommandStreams(c.session, { stdin: true, stdout: true, stderr: true, resize: false });
  await new Promise<void>((r) => s.stdout!.once('data', () => r()));
  const pid = execs.pids.at(-1) ?? 0;
  assert.ok(pid > 0);
  assert.match((await d.berth(['top', 'pod-main'])).stdout, /sleep 500/);
  c.socket.destroy();
  for (let i = 0; ; i++) {
    const top = await d.berth(['top', 'pod-main']);
    if (!top.stdout.includes('sleep 500')) break;
    assert.ok(i < 100, `the exec is still running:\n${top.stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

test('exec in a container that does not exist ends with an InternalError naming it', async () => {
  const url = server.getExec({ containerId: 'no-such-container', cmd: ['true'], stdin: false, stdout: true, stderr: true, tty: false });
  const c = await spdyConnect(url, ['v4.channel.k8s.io']);
  assert.ok(c.kind === 'spdy');
  const s = await openCommandStreams(c.session, { stdin: false, stdout: true, stderr: true, resize: false });
  const st = JSON.parse((await readAll(s.error)).toString());
  assert.equal(st.reason, 'InternalError');
  assert.match(st.message, /no-such-container/);
});

test('SPDY port forward into the container\'s network namespace reaches a server on its loopback only', async () => {
  const setup = await d.berth(['exec', 'pod-main', 'sh', '-c', 'mkdir -p /www && echo "inside the pod" > /www/index.html && httpd -p 127.0.0.1:8080 -h /www']);
  assert.equal(setup.code, 0, setup.stderr);
  const c = await spdyConnect(server.getPortForward({ podSandboxId: 'pod-main', ports: [] }), ['portforward.k8s.io']);
  assert.ok(c.kind === 'spdy');
  const [a, b] = await Promise.all([openPortForwardStreams(c.session, 8080, 0), openPortForwardStreams(c.session, 8080, 1)]);
  const [ra, rb] = [readAll(a.data), readAll(b.data)];
  a.data.end('GET /index.html HTTP/1.0\r\n\r\n');
  b.data.end('GET /index.html HTTP/1.0\r\n\r\n');
  for (const r of [await ra, await rb]) {
    assert.match(r.toString(), /^HTTP\/1.[01] 200 OK/);
    assert.match(r.toString(), /inside the pod\n$/);
  }
  // Nothing listens on 8081 inside, whatever the host has there.
  const dead = await openPortForwardStreams(c.session, 8081, 2);
  const err = JSON.parse((await readAll(dead.error)).toString());
  assert.equal(err.message, 'error forwarding port 8081 to pod pod-main: cannot connect to port 8081 in pod sandbox pod-main: nothing listens there');
  await c.session.close();
});
