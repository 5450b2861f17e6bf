import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const containerDir = (id: string): string => join(d.dataRoot, 'containers', id);
const numbers = (out: string): number[] => out.split('\n').filter(Boolean).map((l) => Number(/^n (\d+)/.exec(l)?.[1] ?? NaN));

test("json-file writes Docker's <id>-json.log with attrs, rotates with .1.gz names, and docker logs reads it back", async () => {
  const script = 'i=0; while [ $i -lt 200 ]; do echo "n $i"; i=$((i+1)); done; echo oops >&2';
  const run = await d.docker(['run', '-d', '--name', 'jf', '--label', 'app=shop', '-e', 'MODE=prod', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', '--log-opt', 'tag={{.Name}}/{{.ImageName}}', '--log-opt', 'labels=app', '--log-opt', 'env=MODE', 'busybox', 'sh', '-c', script]);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
  const path = join(containerDir(id), `${id}-json.log`);
  assert.equal((await d.docker(['inspect', '-f', '{{.LogPath}}', id])).stdout.trim(), path);
  assert.deepEqual(readdirSync(containerDir(id)).filter((n) => n.startsWith(`${id}-json.log`)).sort(), [`${id}-json.log`, `${id}-json.log.1.gz`, `${id}-json.log.2.gz`]);
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const last = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(last), ['log', 'stream', 'attrs', 'time'], "Docker's field order");
  assert.equal(last['log'], 'oops\n');
  assert.equal(last['stream'], 'stderr');
  assert.deepEqual(last['attrs'], { app: 'shop', MODE: 'prod', tag: 'jf/busybox' });
  assert.match(last['time'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const older = gunzipSync(readFileSync(`${path}.1.gz`)).toString().split('\n').filter(Boolean);
  assert.ok(older.length > 0 && older.every((l) => (JSON.parse(l) as { stream: string }).stream === 'stdout'));
  const logs = await d.docker(['logs', id]);
  const ns = numbers(logs.stdout);
  assert.equal(ns.at(-1), 199);
  assert.ok(ns[0] !== undefined && ns[0] > 0, 'the oldest lines were rotated away');
  for (let i = 1; i < ns.length; i++) assert.equal(ns[i], (ns[i - 1] as number) + 1);
  assert.equal(logs.stderr, 'oops\n');
  const tail = await d.docker(['logs', '--tail', '2', '--timestamps', id]);
  assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z n 199\n$/);
  assert.match(tail.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z oops\n$/);
  const details = await d.docker(['logs', '--details', '--tail', '1', id]);
  assert.equal(details.stderr, 'MODE=prod,app=shop,tag=jf%2Fbusybox oops\n', "--details: the attrs as dockerd prints them");
  assert.equal((await d.berth(['logs', '--details', '--tail', '1', id])).stderr, details.stderr, 'berth logs --details alike');
  const berthTail = await d.berth(['logs', '--tail', '3', id]);
  assert.equal(berthTail.stdout, 'n 198\nn 199\n');
  await d.docker(['rm', id]);
});

test('json-file: logs -f follows a running container, across a rotation, until it exits; --since cuts by time', async () => {
  const id = (await d.docker(['run', '-d', '--log-opt', 'max-size=2k', 'busybox', 'sh', '-c', 'echo first; sleep 1.5; i=0; while [ $i -lt 100 ]; do echo "n $i"; i=$((i+1)); done'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 700));
  const mid = Date.now() / 1000;
  const r = await d.docker(['logs', '-f', id]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.split('\n').filter(Boolean);
  assert.equal(out[0], 'first');
  assert.deepEqual(numbers(out.slice(1).join('\n')), [...Array(100).keys()]);
  assert.ok(existsSync(join(containerDir(id), `${id}-json.log.1`)), 'it rotated (uncompressed by default)');
  const since = await d.docker(['logs', '--since', String(mid), id]);
  assert.equal(numbers(since.stdout).at(-1), 99);
  assert.doesNotMatch(since.stdout, /first/);
  await d.docker(['rm', id]);
});

test("none: docker logs gives Docker's message; local: a compact file of its own that docker logs reads", async () => {
  const none = (await d.docker(['run', '-d', '--log-driver', 'none', 'busybox', 'echo', 'hi'])).stdout.trim();
  await d.docker(['wait', none]);
  const r = await d.docker(['logs', none]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /configured logging driver does not support reading/);
  assert.equal((await d.docker(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}|{{.LogPath}}', none])).stdout.trim(), 'none|');
  const local = (await d.docker(['run', '-d', '--log-driver', 'local', '--log-opt', 'max-size=1k', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 100 ]; do echo "n $i"; i=$((i+1)); done'])).stdout.trim();
  await d.docker(['wait', local]);
  const files = readdirSync(join(containerDir(local), 'local-logs')).sort();
  assert.equal(files[0], 'container.log');
  assert.ok(files.includes('container.log.1.gz'), `local compresses by default: ${files.join(', ')}`);
  assert.equal(numbers((await d.docker(['logs', local])).stdout).at(-1), 99);
  assert.equal((await d.berth(['logs', '--tail', '1', local])).stdout, 'n 99\n');
  await d.docker(['rm', none, local]);
});

/** A collector on 127.0.0.1 (or a unix socket) that keeps every frame it gets. */
async function tcpCollector(listen: (s: Server) => void): Promise<{ server: Server; data: () => string; sockets: Socket[] }> {
  let buf = '';
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => (buf += c.toString()));
  });
  await new Promise<void>((resolve) => {
    server.once('listening', resolve);
    listen(server);
  });
  return { server, data: () => buf, sockets };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), what);
}

test("syslog over udp, tcp and a unix socket: Docker's frames per format, facility and tag; docker logs refused", async () => {
  const udp = createSocket('udp4');
  const grams: string[] = [];
  udp.on('message', (m) => grams.push(m.toString()));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const tcp = await tcpCollector((s) => s.listen(0, '127.0.0.1'));
  const sockPath = join(d.dir, 'syslog.sock');
  const unix = await tcpCollector((s) => s.listen(sockPath));
  try {
    const a = await d.docker(['run', '--name', 'sl1', '--log-driver', 'syslog', '--log-opt', `syslog-address=udp://127.0.0.1:${String(udp.address().port)}`, '--log-opt', 'syslog-format=rfc5424', '--log-opt', 'tag={{.Name}}', 'busybox', 'sh', '-c', 'echo hello; echo bad >&2']);
    assert.equal(a.code, 0, a.stderr);
    await waitFor(() => grams.length >= 2, `udp frames: ${JSON.stringify(grams)}`);
    assert.match(grams[0] as string, /^<30>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) \S+ sl1 \d+ sl1 - hello\n$/);
    assert.match(grams[1] as string, /^<27>1 \S+ \S+ sl1 \d+ sl1 - bad\n$/);
    const port = (tcp.server.address() as AddressInfo).port;
    const b = await d.docker(['run', '-d', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${String(port)}`, '--log-opt', 'syslog-format=rfc3164', '--log-opt', 'syslog-facility=local0', 'busybox', 'sh', '-c', 'echo one; echo two']);
    const bid = b.stdout.trim();
    await d.docker(['wait', bid]);
    await waitFor(() => tcp.data().split('\n').length >= 3, `tcp frames: ${tcp.data()}`);
    assert.match(tcp.data(), new RegExp(`^<134>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ ${bid.slice(0, 12)}\\[\\d+\\]: one\\n<134>\\S+ +\\S+ \\S+ \\S+ ${bid.slice(0, 12)}\\[\\d+\\]: two\\n$`));
    const logs = await d.docker(['logs', bid]);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, /configured logging driver does not support reading/);
    const c = await d.docker(['run', '--rm', '--log-driver', 'syslog', '--log-opt', `syslog-address=unix://${sockPath}`, '--log-opt', 'syslog-format=rfc5424micro', '--log-opt', 'tag={{.ImageName}}', 'busybox', 'echo', 'via-unix']);
    assert.equal(c.code, 0, c.stderr);
    await waitFor(() => unix.data().includes('via-unix'), `unix frames: ${unix.data()}`);
    assert.match(unix.data(), /^<30>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d) \S+ busybox \d+ busybox - via-unix\n$/);
    // A collector that is not there fails the start, naming the address.
    const gone = await d.docker(['run', '--rm', '--log-driver', 'syslog', '--log-opt', `syslog-address=unix://${join(d.dir, 'nobody.sock')}`, 'busybox', 'true']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /failed to initialize logging driver: cannot connect to syslog at unix:\/\/.*nobody\.sock/);
    await d.docker(['rm', '-f', 'sl1', bid]);
  } finally {
    udp.close();
    for (const s of [...tcp.sockets, ...unix.sockets]) s.destroy();
    tcp.server.close();
    unix.server.close();
  }
});

test('mode=non-blocking: a collector that stops reading does not hold the container; its exit is recorded', async () => {
  const tcp = await tcpCollector((s) => s.listen(0, '127.0.0.1'));
  try {
    const port = (tcp.server.address() as AddressInfo).port;
    const id = (await d.docker(['run', '-d', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${String(port)}`, '--log-opt', 'mode=non-blocking', '--log-opt', 'max-buffer-size=4k', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "n $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done'])).stdout.trim();
    await waitFor(() => tcp.sockets.length > 0, 'berthd connected');
    for (const s of tcp.sockets) s.pause();
    assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim(), 'exited');
    // Blocking mode (the default): berthd lags behind a stuck collector, the container still exits, and berthd lets go of the collector.
    const before = tcp.sockets.length;
    const blocking = (await d.docker(['run', '-d', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${String(port)}`, 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "n $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done'])).stdout.trim();
    await waitFor(() => tcp.sockets.length > before, 'berthd connected again');
    const stuck = tcp.sockets.at(-1) as Socket;
    stuck.pause();
    assert.equal((await d.docker(['wait', blocking])).stdout.trim(), '0');
    // What berthd had sent is read now; then its end of the connection shows it let go.
    let ended = false;
    stuck.once('end', () => (ended = true));
    stuck.once('close', () => (ended = true));
    stuck.resume();
    await waitFor(() => ended, 'berthd closed the stuck connection');
    await d.docker(['rm', id, blocking]);
  } finally {
    for (const s of tcp.sockets) s.destroy();
    tcp.server.close();
  }
});

test('refusals: journald without a journal, drivers berth does not run, unknown drivers and options', async () => {
  assert.equal(existsSync('/run/systemd/journal/socket'), false, 'this test runs on a host without a systemd journal');
  const j = await d.docker(['run', '--log-driver', 'journald', 'busybox', 'true']);
  assert.equal(j.code, 125);
  assert.match(j.stderr, /logging driver journald needs the systemd journal, and this host has none \(no \/run\/systemd\/journal\/socket\)/);
  for (const driver of ['gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs']) {
    const r = await d.docker(['create', '--log-driver', driver, 'busybox', 'true']);
    assert.notEqual(r.code, 0, driver);
    assert.match(r.stderr, new RegExp(`logging driver ${driver} is not supported by berth`));
  }
  const unknown = await d.berth(['create', '--log-driver', 'carrier-pigeon', 'busybox', 'true']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no log driver named 'carrier-pigeon' is registered/);
  const opt = await d.docker(['create', '--log-driver', 'local', '--log-opt', 'tag=x', 'busybox', 'true']);
  assert.match(opt.stderr, /unknown log opt 'tag' for local log driver/);
  const mode = await d.docker(['create', '--log-opt', 'max-buffer-size=1m', 'busybox', 'true']);
  assert.match(mode.stderr, /max-buffer-size option is only supported with 'mode=non-blocking'/);
  const tag = await d.docker(['create', '--log-opt', 'tag={{.Nope}}', 'busybox', 'true']);
  assert.match(tag.stderr, /no field \.Nope/);
});

test('daemon --log-driver and log-opts: containers without --log-driver get them; inspect shows the driver', async () => {
  const d2 = await TestDaemon.start({ args: ['--log-driver', 'local', '--log-opt', 'max-file=2'] });
  try {
    await d2.makeBusyboxImage();
    assert.equal((await d2.docker(['info', '--format', '{{.LoggingDriver}}|{{json .Plugins.Log}}'])).stdout.trim(), 'local|["json-file","local","syslog","k8s-file","none"]');
    const id = (await d2.docker(['run', '-d', 'busybox', 'echo', 'from-local'])).stdout.trim();
    await d2.docker(['wait', id]);
    assert.equal((await d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id])).stdout.trim(), '{"Type":"local","Config":{"max-file":"2"}}');
    assert.equal((await d2.docker(['logs', id])).stdout, 'from-local\n');
    const own = (await d2.docker(['create', '--log-driver', 'json-file', 'busybox', 'true'])).stdout.trim();
    assert.equal((await d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', own])).stdout.trim(), '{"Type":"json-file","Config":{}}');
    await d2.docker(['rm', id, own]);
  } finally {
    await d2.cleanup();
  }
  const bad = await TestDaemon.start({ args: ['--log-driver', 'gelf'] }).then(
    async (x) => {
      await x.cleanup();
      return null;
    },
    (e: unknown) => e,
  );
  assert.ok(bad instanceof Error, 'berthd refuses a default driver it does not run');
  assert.match(bad.message, /gelf/);
});

test('json-file: what a container writes while berthd is away reaches its log after the restart, once and in order', async () => {
  const id = (await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 40 ]; do echo "n $i"; i=$((i+1)); sleep 0.05; done'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 500));
  await d.crash();
  await new Promise((r) => setTimeout(r, 800));
  await d.spawn();
  assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
  assert.deepEqual(numbers((await d.docker(['logs', id])).stdout), [...Array(40).keys()]);
  const again = (await d.docker(['run', '-d', 'busybox', 'echo', 'n 0'])).stdout.trim();
  await d.docker(['wait', again]);
  await d.crash();
  await d.spawn();
  assert.equal((await d.docker(['logs', again])).stdout, 'n 0\n', 'an exited container is not fed again');
  await d.docker(['rm', id, again]);
});

/** A unix datagram collector (Node's dgram has none): Debian's python3 binds the socket and prints each datagram as JSON. */
async function unixgramCollector(path: string): Promise<{ grams: string[]; stop: () => void }> {
  const script = 'import socket,sys,json\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\nwhile True:\n  print(json.dumps(s.recv(65536).decode()),flush=True)\n';
  const child = spawn('/usr/bin/python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const grams: string[] = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') resolve();
        else grams.push(JSON.parse(line) as string);
      }
    });
  });
  return { grams, stop: () => child.kill('SIGKILL') };
}

test('syslog over a unix datagram socket (syslog-address unixgram://): one datagram a line', async () => {
  const path = join(d.dir, 'syslog-dgram.sock');
  const c = await unixgramCollector(path);
  try {
    const r = await d.docker(['run', '--rm', '--log-driver', 'syslog', '--log-opt', `syslog-address=unixgram://${path}`, '--log-opt', 'tag={{.Name}}', '--name', 'dg1', 'busybox', 'sh', '-c', 'echo a; echo b']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => c.grams.length >= 2, `datagrams: ${JSON.stringify(c.grams)}`);
    assert.match(c.grams[0] as string, /^<30>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d dg1\[\d+\]: a\n$/);
    assert.match(c.grams[1] as string, /^<30>\S+ +\S+ \S+ dg1\[\d+\]: b\n$/);
  } finally {
    c.stop();
  }
});

test('a container made before json-file had its own file (none on disk) still shows its log, from conmon', async () => {
  const id = (await d.docker(['run', '-d', 'busybox', 'echo', 'from-before'])).stdout.trim();
  await d.docker(['wait', id]);
  const path = join(containerDir(id), `${id}-json.log`);
  assert.equal(readFileSync(path, 'utf8').includes('from-before'), true);
  rmSync(path);
  assert.equal((await d.docker(['logs', id])).stdout, 'from-before\n');
  await d.docker(['rm', id]);
});

test('syslog after a berthd restart: every line arrives, and berthd does not send again what it had sent (but for its last second)', async () => {
  const udp = createSocket('udp4');
  const grams: string[] = [];
  udp.on('message', (m) => grams.push(m.toString()));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  try {
    const id = (await d.docker(['run', '-d', '--log-driver', 'syslog', '--log-opt', `syslog-address=udp://127.0.0.1:${String(udp.address().port)}`, 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 60 ]; do echo "n $i"; i=$((i+1)); sleep 0.05; done'])).stdout.trim();
    await new Promise((r) => setTimeout(r, 2200));
    await d.crash();
    await new Promise((r) => setTimeout(r, 300));
    await d.spawn();
    assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
    await waitFor(() => grams.some((g) => g.endsWith(': n 59\n')), 'the last line arrived');
    const ns = grams.map((g) => Number(/: n (\d+)\n$/.exec(g)?.[1]));
    assert.deepEqual([...new Set(ns)].sort((a, b) => a - b), [...Array(60).keys()], 'every line');
    assert.ok(ns.length - 60 < 25, `${String(ns.length - 60)} lines sent twice: more than berthd's last second before the crash`);
    await d.docker(['rm', id]);
  } finally {
    udp.close();
  }
});
