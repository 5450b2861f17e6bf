import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandNotFound, CannotInvoke } from '../src/errdefs/index.js';
import { readLogs } from '../src/core/runtime/index.js';
import type { ContainerSpecInput } from '../src/core/runtime/index.js';
import { runtimeFixture } from './helpers/runtime.js';

const fx = runtimeFixture('run');
const input = fx.input;

/** Creates, starts, waits; returns exit code and the log as [stream, text] pairs. */
async function run(spec: ContainerSpecInput): Promise<{ exitCode: number; out: [string, string][] }> {
  const logPath = join(spec.bundleDir, 'ctr.log');
  try {
    const { pid } = await fx.rt.create(spec, { logPath });
    assert.ok(pid > 0);
    assert.equal((await fx.rt.state(spec.id))?.status, 'created');
    await fx.rt.start(spec.id);
    const { exitCode } = await fx.rt.waitExit(spec.id);
    assert.equal((await fx.rt.state(spec.id))?.status, 'stopped');
    const out: [string, string][] = [];
    for await (const e of readLogs(logPath, {})) out.push([e.stream, e.line.toString()]);
    return { exitCode, out };
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
}

test('echo hi lands in the log as stdout, exit 0', async () => {
  const r = await run(input(['echo', 'hi']));
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.out, [['stdout', 'hi\n']]);
});

test('stderr line and exit code 3', async () => {
  const r = await run(input(['sh', '-c', 'echo err >&2; exit 3']));
  assert.equal(r.exitCode, 3);
  assert.deepEqual(r.out, [['stderr', 'err\n']]);
});

test('own pid namespace, hostname, user, open-files limit clamped', async () => {
  const r = await run(
    input(['sh', '-c', 'echo $$; hostname; id -u; id -g; ulimit -n'], { user: { uid: 1000, gid: 1000, additionalGids: [] } }),
  );
  const hard = Number(/Max open files\s+\S+\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(
    r.out.map(([, l]) => l.trim()),
    ['1', 'berthtest', '1000', '1000', String(Math.min(hard, 1048576))],
  );
});

test('network none: only lo, and it is up', async () => {
  const r = await run(input(['sh', '-c', 'cat /proc/net/dev; ip link']));
  assert.equal(r.exitCode, 0);
  const text = r.out.map(([, l]) => l).join('');
  const ifaces = text
    .split('\n')
    .filter((l) => /^\s*[^\s|]+:\s+\d/.test(l))
    .map((l) => l.trim().split(':')[0]);
  assert.deepEqual(ifaces, ['lo']);
  assert.match(text, /^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
  assert.doesNotMatch(text, /^2: /m);
});

test('command not found is CommandNotFound and leaves nothing behind', async () => {
  const spec = input(['definitely-not-here']);
  await assert.rejects(fx.rt.create(spec, { logPath: join(spec.bundleDir, 'ctr.log') }), (e: unknown) => {
    assert.ok(e instanceof CommandNotFound);
    assert.match(e.message, /executable file not found in \$PATH/);
    return true;
  });
  assert.ok(!(await fx.rt.list()).includes(spec.id));
  assert.equal(await fx.rt.state(spec.id), null);
});

test('a non-executable command is CannotInvoke', async () => {
  const spec = input(['/etc/passwd']);
  await assert.rejects(fx.rt.create(spec, { logPath: join(spec.bundleDir, 'ctr.log') }), (e: unknown) => {
    assert.ok(e instanceof CannotInvoke);
    assert.match(e.message, /permission denied/);
    return true;
  });
});

test('stdin: cat echoes what is written and exits on EOF (bundle path longer than sun_path)', async () => {
  const spec = input(['cat'], { openStdin: true });
  // Like /var/lib/berth/containers/<64 hex>/: the attach socket path exceeds the 108 bytes of sun_path.
  spec.bundleDir = join(spec.bundleDir, 'b'.repeat(64), 'c'.repeat(40));
  mkdirSync(spec.bundleDir, { recursive: true });
  assert.ok(join(spec.bundleDir, 'attach').length > 108);
  const logPath = join(spec.bundleDir, 'ctr.log');
  try {
    await fx.rt.create(spec, { logPath });
    const stdin = await fx.rt.attachStdin(spec.id);
    await fx.rt.start(spec.id);
    const big = 'x'.repeat(100_000);
    stdin.write('hello\n');
    stdin.write(`${big}\n`);
    stdin.end('bye\n');
    const { exitCode } = await fx.rt.waitExit(spec.id, AbortSignal.timeout(10_000));
    assert.equal(exitCode, 0);
    const lines: string[] = [];
    for await (const e of readLogs(logPath, {})) lines.push(e.line.toString());
    assert.deepEqual(lines, ['hello\n', `${big}\n`, 'bye\n']);
  } finally {
    await fx.rt.delete(spec.id, { force: true }).catch(() => undefined);
  }
});

test('tty: output goes to the log as stdout', async () => {
  const r = await run(input(['sh', '-c', 'tty; echo on-tty'], { tty: true }));
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.out, [
    ['stdout', '/dev/pts/0\r\n'],
    ['stdout', 'on-tty\r\n'],
  ]);
});

test('readonly rootfs refuses writes', async () => {
  const r = await run(input(['sh', '-c', 'touch /x 2>/dev/null && echo wrote || echo refused'], { readonlyRootfs: true }));
  assert.deepEqual(r.out, [['stdout', 'refused\n']]);
});

test('network path joins the given netns; host shares the host one', async () => {
  const ns = `berth-fx.rt-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'add', 'berthva0', 'type', 'veth', 'peer', 'name', 'berthvb0']);
    const r = await run(input(['cat', '/proc/net/dev'], { network: { mode: 'path', netnsPath: `/run/netns/${ns}` } }));
    assert.match(r.out.map(([, l]) => l).join(''), /berthva0:/);
  } finally {
    execFileSync('ip', ['netns', 'delete', ns]);
  }
  // Other tests may add interfaces meanwhile: ask only for one the host had before.
  const names = (text: string): string[] => [...text.matchAll(/^\s*([^\s:|]+):/gm)].map((m) => m[1] ?? '');
  const hostIfaces = names(readFileSync('/proc/net/dev', 'utf8')).filter((n) => n !== 'lo');
  assert.ok(hostIfaces.length > 0);
  const h = await run(input(['cat', '/proc/net/dev'], { network: { mode: 'host' } }));
  const seen = names(h.out.map(([, l]) => l).join(''));
  assert.ok(hostIfaces.some((n) => seen.includes(n)), `none of ${hostIfaces.join(',')} in ${seen.join(',')}`);
});
