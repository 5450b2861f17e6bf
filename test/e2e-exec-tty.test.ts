import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { BERTH, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** A person at a terminal: `script` gives the command a pty; we type and read the screen. */
class Terminal {
  readonly proc: ChildProcess;
  screen = '';
  readonly exited: Promise<number>;

  constructor(command: string, rows = 30, cols = 90) {
    this.proc = spawn('script', ['-eqfc', `stty rows ${rows} cols ${cols}; exec ${command}`, '/dev/null'], { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (b: Buffer) => (this.screen += b.toString('latin1')));
    this.proc.stderr?.on('data', (b: Buffer) => (this.screen += b.toString('latin1')));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code ?? -1)));
  }

  /** Waits until the screen (from `from` on) matches; returns the index after the match. */
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

async function status(name: string): Promise<string> {
  return (await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout.trim();
}

for (const cli of ['docker', BERTH]) {
  const label = cli === 'docker' ? 'docker' : 'berth';
  test(`${label} exec -it: a real TTY with the window size, Ctrl-C, and the exit code`, async () => {
    const name = `tty-${label}`;
    assert.equal((await d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
    const t = new Terminal(`${cli} exec -it ${name} sh`, 33, 101);
    let at = await t.expect(/# /);
    t.type('tty; stty size\r');
    at = await t.expect(/\/dev\/pts\/\d+\s+33 101/, at);
    t.type('sleep 100\r');
    await new Promise((r) => setTimeout(r, 300));
    t.type('\x03');
    at = await t.expect(/# /, at + 10);
    t.type('echo $((6*7))\r');
    await t.expect(/42/, at);
    t.type('exit 6\r');
    assert.equal(await t.done(), 6, t.screen);
    assert.doesNotMatch((await d.berth(['exec', name, 'ps'])).stdout, /sleep 100/);
    await d.berth(['rm', '-f', name]);
  });
}

test('run -it, detach with ctrl-p ctrl-q, attach again, then the exit code', async () => {
  const t = new Terminal('docker run -it --name detachable busybox sh', 40, 120);
  const at = await t.expect(/# /);
  t.type('stty size\r');
  await t.expect(/40 120/, at);
  t.type('\x10\x11');
  assert.equal(await t.done(), 0, t.screen);
  assert.equal(await status('detachable'), 'running 0');

  const a = new Terminal(`${BERTH} attach detachable`, 20, 70);
  await new Promise((r) => setTimeout(r, 500));
  a.type('echo back-$((1+2)); stty size\r');
  await a.expect(/back-3\s+20 70/);
  a.type('\x10\x11');
  assert.equal(await a.done(), 0, a.screen);
  assert.equal(await status('detachable'), 'running 0');

  const b = new Terminal('docker attach detachable');
  await new Promise((r) => setTimeout(r, 500));
  b.type('exit 4\r');
  assert.equal(await b.done(), 4, b.screen);
  assert.equal(await status('detachable'), 'exited 4');
  await d.berth(['rm', 'detachable']);
});

test('berth run -it: typing reaches the shell, ctrl-p ctrl-q detaches', async () => {
  const t = new Terminal(`${BERTH} run -it --name berth-tty busybox sh`);
  const at = await t.expect(/# /);
  t.type('echo typed-$((3*3))\r');
  await t.expect(/typed-9/, at);
  t.type('\x10\x11');
  assert.equal(await t.done(), 0, t.screen);
  assert.equal(await status('berth-tty'), 'running 0');
  await d.berth(['rm', '-f', 'berth-tty']);
});

test('a client that hangs up mid-attach leaves the container running', async () => {
  assert.equal((await d.berth(['run', '-dit', '--name', 'hangup', 'busybox', 'sh'])).code, 0);
  const t = new Terminal('docker attach hangup');
  await new Promise((r) => setTimeout(r, 500));
  t.type('echo alive\r');
  await t.expect(/alive\s+[\s\S]*alive/);
  t.proc.kill('SIGKILL');
  await t.exited;
  const loud = (await d.berth(['run', '-d', '--name', 'loud', 'busybox', 'sh', '-c', 'while true; do echo x; sleep 0.05; done'])).stdout.trim();
  const attach = spawn('docker', ['attach', loud], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => attach.stdout.once('data', () => resolve()));
  attach.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await status('hangup'), 'running 0');
  assert.equal(await status('loud'), 'running 0');
  const again = new Terminal('docker attach hangup');
  await new Promise((r) => setTimeout(r, 500));
  again.type('echo still-here\r');
  await again.expect(/still-here\s+[\s\S]*still-here/);
  again.type('exit 0\r');
  assert.equal(await again.done(), 0, again.screen);
  await d.berth(['rm', '-f', 'hangup', 'loud']);
});

test('docker exec -t without -i, and resize of a TTY container through the API', async () => {
  assert.equal((await d.berth(['run', '-dt', '--name', 'sized', 'busybox', 'sh'])).code, 0);
  const t = new Terminal('docker exec -t sized sh -c "sleep 0.3; stty size"', 25, 77);
  await t.expect(/25 77/);
  assert.equal(await t.done(), 0, t.screen);
  const r = await d.run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '--unix-socket', d.socket, 'http://x/containers/sized/resize?h=50&w=130']);
  assert.equal(r.stdout, '200');
  await new Promise((res) => setTimeout(res, 200));
  assert.equal((await d.berth(['exec', 'sized', 'sh', '-c', 'stty size < /dev/console'])).stdout.trim(), '50 130');
  await d.berth(['rm', '-f', 'sized']);
});
