import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

// conmon's own rotation: these containers use k8s-file, where conmon's log is the container's log (json-file's rotation: e2e-log-drivers).
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** The distinct non-empty files (by inode) a container's log occupies, with their sizes. */
function logFiles(id: string): { names: string[]; sizes: number[] } {
  const dir = join(d.dataRoot, 'containers', id);
  const byIno = new Map<number, { name: string; size: number }>();
  for (const name of readdirSync(dir).filter((n) => n.startsWith('container.log'))) {
    const s = statSync(join(dir, name));
    if (s.size > 0 && !byIno.has(s.ino)) byIno.set(s.ino, { name, size: s.size });
  }
  const files = [...byIno.values()];
  return { names: files.map((f) => f.name), sizes: files.map((f) => f.size) };
}

const numbers = (out: string): number[] => out.split('\n').filter(Boolean).map((l) => Number(/^n (\d+) /.exec(l)?.[1] ?? NaN));

function assertConsecutive(ns: number[], last: number): void {
  assert.ok(ns.length > 0, 'some lines');
  assert.equal(ns.at(-1), last, 'ends with the newest line');
  for (let i = 1; i < ns.length; i++) assert.equal(ns[i], (ns[i - 1] as number) + 1, `line ${i}: ${String(ns[i - 1])} then ${String(ns[i])}`);
}

const PAD = 'x'.repeat(40);

/**
 * Writers in these tests pause now and then. conmon enforces the cap alone, but berthd must name
 * each new file before conmon fills two more; a writer that outruns a loaded berthd loses whole
 * files (never the cap). The pauses keep that race out of what is tested here.
 */
test('max-size=100k max-file=3: a few MB leave at most 3 files under the cap; logs shows the newest lines once, in order', async () => {
  const script = `i=0; while [ $i -lt 30000 ]; do echo "n $i ${PAD}"; i=$((i+1)); [ $((i % 200)) -eq 0 ] && sleep 0.05; done`;
  const id = (await d.berth(['run', '-d', '--log-driver', 'k8s-file', '--log-opt', 'max-size=100k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script])).stdout.trim();
  assert.equal((await d.berth(['wait', id])).stdout.trim(), '0');
  const files = logFiles(id);
  assert.ok(files.names.length <= 3 && files.names.length >= 2, `files: ${files.names.join(', ')}`);
  // conmon starts a new file before a line would pass the cap; a line is ≤ its 8 KiB read buffer.
  for (const size of files.sizes) assert.ok(size <= 100 * 1024, `a file of ${size} bytes`);
  const all = numbers((await d.docker(['logs', id])).stdout);
  assertConsecutive(all, 29999);
  assert.ok((all[0] as number) > 0, 'the oldest lines were rotated away');
  // More than one file's worth: the kept files are read in order, not just the current one.
  assert.ok(all.length > (100 * 1024) / (PAD.length + 60), `${all.length} lines`);
  const tail = numbers((await d.docker(['logs', '--tail', '2500', id])).stdout);
  assert.equal(tail.length, 2500);
  assertConsecutive(tail, 29999);
  const inspect = JSON.parse((await d.docker(['inspect', id])).stdout) as { HostConfig: { LogConfig: { Type: string; Config: Record<string, string> } } }[];
  assert.deepEqual(inspect[0]?.HostConfig.LogConfig.Config, { 'max-size': '100k', 'max-file': '3' });
  await d.berth(['rm', id]);
});

test('logs -f started before a rotation sees every line written after it, once and in order', async () => {
  // About 200 lines a file, 9 files.
  const script = `sleep 1; i=0; while [ $i -lt 2000 ]; do echo "n $i ${PAD}"; i=$((i+1)); [ $((i % 25)) -eq 0 ] && sleep 0.05; done`;
  const id = (await d.berth(['run', '-d', '--log-driver', 'k8s-file', '--log-opt', 'max-size=20k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script])).stdout.trim();
  const r = await d.docker(['logs', '-f', id]);
  assert.equal(r.code, 0, r.stderr);
  const ns = numbers(r.stdout);
  assert.equal(ns[0], 0);
  assertConsecutive(ns, 1999);
  assert.ok(logFiles(id).names.length <= 3);
  await d.berth(['rm', id]);
});

test('a restarted container starts a new file; logs reads both runs', async () => {
  const id = (await d.berth(['run', '-d', '--log-driver', 'k8s-file', '--log-opt', 'max-size=1m', 'busybox', 'echo', 'n 1 run'])).stdout.trim();
  await d.berth(['wait', id]);
  await d.berth(['start', id]);
  await d.berth(['wait', id]);
  assert.equal((await d.berth(['logs', id])).stdout, 'n 1 run\nn 1 run\n');
  assert.equal(logFiles(id).names.length, 2);
  await d.berth(['rm', id]);
});

function createStatus(hostConfig: object): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: '/v1.41/containers/create', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig }));
  });
}

test('invalid log options are refused at create with 400 and a clear message', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ 'max-size': 'abc' }, /invalid size: 'abc'/],
    [{ 'max-file': '0' }, /max-file cannot be less than 1/],
    [{ 'max-file': 'two' }, /max-file/],
    [{ colour: 'red' }, /unknown log opt 'colour'/],
  ];
  const before = (await d.berth(['ps', '-aq'])).stdout;
  for (const [config, msg] of cases) {
    const r = await createStatus({ LogConfig: { Type: 'json-file', Config: config } });
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, msg);
  }
  const cli = await d.docker(['run', '--log-opt', 'max-size=abc', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /invalid size: 'abc'/);
  assert.equal((await d.berth(['ps', '-aq'])).stdout, before, 'nothing was created');
});

test('inspect shows the options asked for ({} by default: the 20m x 5 cap applies at use), over the daemon log-opts; a container overrides one key', async () => {
  const plain = (await d.berth(['create', 'busybox', 'true'])).stdout.trim();
  assert.equal((await d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', plain])).stdout.trim(), '{"Type":"json-file","Config":{}}');
  await d.berth(['rm', plain]);
  const d2 = await TestDaemon.start({ args: ['--log-opt', 'max-size=1m', '--log-opt', 'max-file=2'] });
  try {
    await d2.makeBusyboxImage();
    const a = (await d2.berth(['create', 'busybox', 'true'])).stdout.trim();
    assert.equal((await d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', a])).stdout.trim(), '{"max-file":"2","max-size":"1m"}');
    const b = (await d2.berth(['create', '--log-opt', 'max-file=4', 'busybox', 'true'])).stdout.trim();
    assert.equal((await d2.docker(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', b])).stdout.trim(), '{"max-file":"4","max-size":"1m"}');
    await d2.berth(['rm', a, b]);
  } finally {
    await d2.cleanup();
  }
});

test('while berthd is away the cap holds; after its restart rotation goes on', async () => {
  const script = `i=0; while [ $i -lt 10000 ]; do echo "n $i ${PAD}"; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.1; done`;
  const id = (await d.berth(['run', '-d', '--log-driver', 'k8s-file', '--log-opt', 'max-size=20k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script])).stdout.trim();
  await new Promise((r) => setTimeout(r, 500));
  await d.crash();
  await new Promise((r) => setTimeout(r, 1500));
  // conmon went on rotating at the cap alone (berthd keeps what it named before and two more).
  for (const size of logFiles(id).sizes) assert.ok(size <= 20 * 1024, `a file of ${size} bytes while berthd was away`);
  await d.spawn();
  assert.equal((await d.berth(['wait', id])).stdout.trim(), '0');
  const files = logFiles(id);
  assert.ok(files.names.length <= 3, files.names.join(', '));
  for (const size of files.sizes) assert.ok(size <= 20 * 1024, `a file of ${size} bytes`);
  // The files kept since the restart hold the last lines, all of them, in order.
  assertConsecutive(numbers((await d.berth(['logs', id])).stdout), 9999);
  await d.berth(['rm', id]);
});
