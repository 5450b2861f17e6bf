import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH, eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * Exec as the SDKs see it: docker-py's exec_run over the whole tty × stream × demux matrix and its
 * low-level socket, exit codes of programs that cannot start, and detach keys from the client's
 * config file. The bytes are checked exactly, as dockerd sends them.
 */
const PYTHON = '/usr/bin/python3';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function python(name: string, script: string): Promise<Map<string, string>> {
  const file = join(d.dir, name);
  await writeFile(file, script);
  const r = await d.run(PYTHON, [file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  const seen = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) seen.set(line.slice(0, i), line.slice(i + 1));
  }
  return seen;
}

/** A person at a terminal: `script` gives the command a pty; we type and read the screen. */
class Terminal {
  readonly proc: ChildProcess;
  screen = '';
  readonly exited: Promise<number>;

  constructor(command: string, env: NodeJS.ProcessEnv) {
    this.proc = spawn('script', ['-eqfc', `stty rows 30 cols 90; exec ${command}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (b: Buffer) => (this.screen += b.toString('latin1')));
    this.proc.stderr?.on('data', (b: Buffer) => (this.screen += b.toString('latin1')));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code ?? -1)));
  }

  async expect(re: RegExp, from = 0, ms = 10_000): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.screen.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.screen)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  type(s: string): void {
    this.proc.stdin?.write(s);
  }

  async done(ms = 10_000): Promise<number> {
    const t = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(t);
    this.proc.stdin?.end();
    return code;
  }
}

test('docker-py exec_run: every tty × stream × demux combination gives dockerd\'s bytes', async () => {
  const seen = await python(
    'exec-matrix.py',
    `
import docker
c = docker.from_env()
ct = c.containers.run('busybox', ['sleep', '300'], detach=True, name='pyexec', network_mode='none')
cmd = ['sh', '-c', 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 3']
for tty in (False, True):
    for stream in (False, True):
        for demux in (False, True):
            key = 'tty%d_stream%d_demux%d' % (tty, stream, demux)
            r = ct.exec_run(cmd, tty=tty, stream=stream, demux=demux)
            out = r.output
            if stream:
                chunks = list(out)
                if demux:
                    so = b''.join(x[0] for x in chunks if x[0] is not None)
                    se = b''.join(x[1] for x in chunks if x[1] is not None) if any(x[1] is not None for x in chunks) else None
                    out = (so, se)
                else:
                    out = b''.join(chunks)
            print(key + '=' + repr(out))
            print(key + '_code=' + repr(r.exit_code))
api = c.api
e = api.exec_create(ct.id, cmd, tty=False)
s = api.exec_start(e['Id'], socket=True)
raw = b''
sock = getattr(s, '_sock', s)
while True:
    b = sock.recv(4096)
    if not b:
        break
    raw += b
print('socket_notty=' + repr(raw))
print('socket_notty_code=' + repr(api.exec_inspect(e['Id'])['ExitCode']))
e = api.exec_create(ct.id, cmd, tty=True)
s = api.exec_start(e['Id'], socket=True, tty=True)
raw = b''
sock = getattr(s, '_sock', s)
while True:
    b = sock.recv(4096)
    if not b:
        break
    raw += b
print('socket_tty=' + repr(raw))
print('socket_tty_code=' + repr(api.exec_inspect(e['Id'])['ExitCode']))
r = ct.exec_run(['sh', '-c', 'sleep 0.3; touch /tmp/detached'], detach=True)
print('detach=' + repr(r.output) + ' ' + repr(r.exit_code))
import time
for _ in range(50):
    if ct.exec_run(['test', '-e', '/tmp/detached']).exit_code == 0:
        break
    time.sleep(0.1)
print('detach_ran=' + repr(ct.exec_run(['test', '-e', '/tmp/detached']).exit_code))
ct.remove(force=True)
`,
  );
  // Without a TTY the stream is multiplexed: stdout and stderr stay apart.
  assert.equal(seen.get('tty0_stream0_demux0'), "b'a\\nb\\nc\\n'");
  assert.equal(seen.get('tty0_stream0_demux1'), "(b'a\\nc\\n', b'b\\n')");
  assert.equal(seen.get('tty0_stream1_demux0'), "b'a\\nb\\nc\\n'");
  assert.equal(seen.get('tty0_stream1_demux1'), "(b'a\\nc\\n', b'b\\n')");
  // A TTY merges them, with the terminal's \r\n.
  assert.equal(seen.get('tty1_stream0_demux0'), "b'a\\r\\nb\\r\\nc\\r\\n'");
  assert.equal(seen.get('tty1_stream0_demux1'), "(b'a\\r\\nb\\r\\nc\\r\\n', None)");
  assert.equal(seen.get('tty1_stream1_demux0'), "b'a\\r\\nb\\r\\nc\\r\\n'");
  assert.equal(seen.get('tty1_stream1_demux1'), "(b'a\\r\\nb\\r\\nc\\r\\n', None)");
  for (const k of ['tty0_stream0_demux0', 'tty0_stream0_demux1', 'tty1_stream0_demux0', 'tty1_stream0_demux1']) {
    assert.equal(seen.get(`${k}_code`), '3', k);
  }
  // exec_run(stream=True) returns before the end: docker-py gives no exit code then.
  for (const k of ['tty0_stream1_demux0', 'tty0_stream1_demux1', 'tty1_stream1_demux0', 'tty1_stream1_demux1']) {
    assert.equal(seen.get(`${k}_code`), 'None', k);
  }
  assert.equal(seen.get('socket_notty'), "b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x02a\\n\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x02b\\n\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x02c\\n'");
  assert.equal(seen.get('socket_notty_code'), '3');
  assert.equal(seen.get('socket_tty'), "b'a\\r\\nb\\r\\nc\\r\\n'");
  assert.equal(seen.get('socket_tty_code'), '3');
  // dockerd answers a detached start with an empty 200, which docker-py returns as text.
  assert.equal(seen.get('detach'), "'' None");
  assert.equal(seen.get('detach_ran'), '0');
});

test('exec of a missing program ends 126 with the OCI message (CLI, exec inspect, docker-py); run of one 127', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'nf', 'busybox', 'sleep', '300'])).code, 0);
  for (const cli of ['docker', 'berth'] as const) {
    const r = cli === 'docker' ? await d.docker(['exec', 'nf', 'no-such-program']) : await d.berth(['exec', 'nf', 'no-such-program']);
    assert.equal(r.code, 126, `${cli}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /OCI runtime exec failed: .*exec: "no-such-program": executable file not found in \$PATH/, cli);
  }
  const created = await d.api('POST', '/containers/nf/exec', { Cmd: ['no-such-program'], AttachStdout: true, AttachStderr: true });
  const id = (created.json as { Id: string }).Id;
  const started = await d.api('POST', `/exec/${id}/start`, { Detach: true });
  assert.notEqual(started.status, 200, 'a detached start of a missing program is refused');
  assert.match((started.json as { message: string }).message, /executable file not found in \$PATH/);
  assert.equal(((await d.api('GET', `/exec/${id}/json`)).json as { ExitCode: number }).ExitCode, 126);

  const seen = await python(
    'exec-missing.py',
    `
import docker
c = docker.from_env()
ct = c.containers.get('nf')
r = ct.exec_run(['no-such-program'])
print('code=' + repr(r.exit_code))
print('out=' + r.output.decode().strip())
`,
  );
  assert.equal(seen.get('code'), '126');
  assert.match(seen.get('out') ?? '', /^OCI runtime exec failed: .*executable file not found in \$PATH: unknown$/);

  const run = await d.docker(['run', '--rm', 'busybox', 'no-such-program']);
  assert.equal(run.code, 127, run.stderr);
  const brun = await d.berth(['run', '--rm', 'busybox', 'no-such-program']);
  assert.equal(brun.code, 127, brun.stderr);
  await d.berth(['rm', '-f', 'nf']);
});

/** A client config directory whose config.json sets detachKeys, as `docker` and `berth` read it. */
async function configWithDetachKeys(keys: string): Promise<NodeJS.ProcessEnv> {
  const dir = join(d.dir, `docker-config-${keys.replace(/[^a-z]/g, '')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ detachKeys: keys }));
  return { ...d.env, DOCKER_CONFIG: dir };
}

async function psOf(name: string): Promise<string> {
  return (await d.berth(['exec', name, 'ps', '-o', 'args'])).stdout;
}

for (const cli of ['docker', BERTH]) {
  const label = cli === 'docker' ? 'docker' : 'berth';
  test(`${label} exec -it: the detachKeys of the config file detach, and the exec runs on`, async () => {
    const name = `dk-exec-${label}`;
    assert.equal((await d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
    const env = await configWithDetachKeys('ctrl-x,ctrl-y');
    const t = new Terminal(`${cli} exec -it ${name} sh`, env);
    const at = await t.expect(/# /);
    // The default sequence is no longer special: ctrl-p ctrl-q reach the shell.
    t.type('\x10\x11');
    t.type(`\x15exec sleep 444${label.length}\r`);
    await t.expect(/sleep 444/, at);
    await new Promise((r) => setTimeout(r, 300));
    t.type('\x18\x19');
    // As the docker CLI does against dockerd: detaching from an exec is reported, with code 1.
    assert.equal(await t.done(), 1, t.screen);
    assert.match(t.screen, /read escape sequence/);
    assert.match(await psOf(name), new RegExp(`sleep 444${label.length}`), 'the detached exec keeps running');
    const execIds = (await d.berth(['inspect', '-f', '{{len .ExecIDs}}', name])).stdout.trim();
    assert.equal(execIds, '1');
    await d.berth(['rm', '-f', name]);
  });
}

test('berth run -it, start -ai and attach take the detachKeys of the config file; --detach-keys overrides it', async () => {
  const env = await configWithDetachKeys('ctrl-x,ctrl-y');
  const status = async (): Promise<string> => (await d.berth(['inspect', '-f', '{{.State.Status}}', 'dk-run'])).stdout.trim();
  const t = new Terminal(`${BERTH} run -it --name dk-run busybox sh`, env);
  const at = await t.expect(/# /);
  t.type('echo one-$((1+1))\r');
  await t.expect(/one-2/, at);
  t.type('\x18\x19');
  assert.equal(await t.done(), 0, t.screen);
  assert.equal(await status(), 'running');

  const a = new Terminal(`${BERTH} attach dk-run`, env);
  await new Promise((r) => setTimeout(r, 500));
  a.type('echo two-$((1+2))\r');
  await a.expect(/two-3/);
  a.type('\x18\x19');
  assert.equal(await a.done(), 0, a.screen);
  assert.equal(await status(), 'running');

  const o = new Terminal(`${BERTH} attach --detach-keys ctrl-e dk-run`, env);
  await new Promise((r) => setTimeout(r, 500));
  o.type('echo three-$((1+3))\r');
  await o.expect(/three-4/);
  o.type('\x05');
  assert.equal(await o.done(), 0, o.screen);
  assert.equal(await status(), 'running');

  assert.equal((await d.berth(['stop', '-t', '0', 'dk-run'])).code, 0);
  await eventually(async () => (await status()) === 'exited', 10_000, 'dk-run to stop');
  const s = new Terminal(`${BERTH} start -ai dk-run`, env);
  await s.expect(/# /);
  s.type('\x18\x19');
  assert.equal(await s.done(), 0, s.screen);
  assert.equal(await status(), 'running');
  await d.berth(['rm', '-f', 'dk-run']);
});

test('docker-py: the detachKeys of its config file reach exec create, and berthd detaches on them', async () => {
  const env = await configWithDetachKeys('ctrl-x,ctrl-y');
  assert.equal((await d.berth(['run', '-d', '--name', 'pydk', 'busybox', 'sleep', '300'])).code, 0);
  const file = join(d.dir, 'exec-detach.py');
  await writeFile(
    file,
    `
import docker, socket, time
c = docker.from_env()
e = c.api.exec_create('pydk', ['sh', '-c', 'exec sleep 4321'], stdin=True, tty=True)
print('keys=' + c.api.exec_inspect(e['Id'])['DetachKeys'])
s = c.api.exec_start(e['Id'], socket=True, tty=True)
sock = getattr(s, '_sock', s)
sock.settimeout(5)
time.sleep(0.3)
sock.sendall(b'\\x10\\x11')
time.sleep(0.3)
print('open_after_default=' + repr(c.api.exec_inspect(e['Id'])['Running']))
sock.sendall(b'\\x18\\x19')
rest = b''
try:
    while True:
        b = sock.recv(4096)
        if not b:
            break
        rest += b
    print('closed=True')
except socket.timeout:
    print('closed=False')
print('running=' + repr(c.api.exec_inspect(e['Id'])['Running']))
`,
  );
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    const child = spawn(PYTHON, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('close', (code) => resolve({ code: code ?? -1, out }));
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^keys=ctrl-x,ctrl-y$/m);
  assert.match(r.out, /^open_after_default=True$/m, 'ctrl-p ctrl-q are not the keys any more');
  assert.match(r.out, /^closed=True$/m, 'berthd ends the stream on the configured keys');
  assert.match(r.out, /^running=True$/m, 'the exec runs on');
  assert.match(await psOf('pydk'), /sleep 4321/);
  await d.berth(['rm', '-f', 'pydk']);
});

test('docker and berth exec -t without a terminal: the pty\'s bytes, stderr merged; without -t, apart', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'cli-t', 'busybox', 'sleep', '300'])).code, 0);
  const cmd = ['sh', '-c', 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c'];
  for (const cli of ['docker', 'berth'] as const) {
    const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
    const t = await run(['exec', '-t', 'cli-t', ...cmd]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, 'a\r\nb\r\nc\r\n', cli);
    assert.equal(t.stderr, '', cli);
    const plain = await run(['exec', 'cli-t', ...cmd]);
    assert.equal(plain.stdout, 'a\nc\n', cli);
    assert.equal(plain.stderr, 'b\n', cli);
  }
  await d.berth(['rm', '-f', 'cli-t']);
});
