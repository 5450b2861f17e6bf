import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon, BERTH } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';
import { TarWriter } from '../src/util/tar/index.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

/** Each stage's RUN records when it started and ended (host uptime, in its own layer). */
const timed = (who: string): string => `RUN echo ${who}; cut -d" " -f1 /proc/uptime > /start && sleep 1 && cut -d" " -f1 /proc/uptime > /end`;

const GRAPH = [
  'FROM busybox AS base',
  'RUN echo base > /base',
  'FROM base AS a',
  timed('a'),
  'FROM busybox AS broken',
  'RUN echo the unneeded stage ran; exit 3',
  'FROM base AS b',
  timed('b'),
  'FROM busybox',
  'COPY --from=a /start /a.start',
  'COPY --from=a /end /a.end',
  'COPY --from=b /start /b.start',
  'COPY --from=b /end /b.end',
  'COPY --from=base /base /base',
  'CMD ["cat", "/a.start", "/a.end", "/b.start", "/b.end", "/base"]',
].join('\n');

test('only the needed stages build, the independent ones at the same time, a shared one once', async () => {
  const ctx = context('graph', { Dockerfile: GRAPH });
  const b = await d.berth(['build', '--progress=plain', '-t', 'graph', ctx]);
  assert.equal(b.code, 0, b.stderr);
  // The broken stage is not reachable from the target: it neither runs nor fails the build.
  assert.doesNotMatch(b.stderr, /broken|unneeded stage/);
  assert.equal(b.stderr.match(/^#\d+ \[base 2\/2\] RUN echo base > \/base$/gm)?.length, 1, b.stderr);
  assert.match(b.stderr, /^#(\d+) \[a 2\/2\] RUN echo a; cut/m);
  assert.match(b.stderr, /^#\d+ \[stage-4 2\/6\] COPY --from=a \/start \/a.start$/m);
  assert.match(b.stderr, /^#\d+ DONE \d+\.\d+s$/m);
  assert.match(b.stderr, /^#\d+ exporting to image$/m);
  const r = await d.berth(['run', '--rm', 'graph']);
  assert.equal(r.code, 0, r.stderr);
  const [aStart, aEnd, bStart, bEnd, base] = r.stdout.trim().split('\n');
  assert.equal(base, 'base');
  const [as, ae, bs, be] = [aStart, aEnd, bStart, bEnd].map(Number) as [number, number, number, number];
  assert.ok(as < ae && bs < be, r.stdout);
  // The two intervals overlap: each stage started before the other one ended.
  assert.ok(as < be && bs < ae, `stages a [${as}, ${ae}] and b [${bs}, ${be}] did not overlap`);

  // Again: every step from the cache; the classic stream (docker CLI, legacy builder) keeps Dockerfile order.
  const again = await d.berth(['build', '--progress=plain', '-t', 'graph', ctx]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr.match(/^#\d+ CACHED$/gm)?.length, 8, again.stderr);
  const classic = await d.docker(['build', '-t', 'graph', ctx]);
  assert.equal(classic.code, 0, classic.stderr);
  const steps = [...classic.stdout.matchAll(/^Step (\d+)\/(\d+) : (.*)$/gm)];
  assert.deepEqual(steps.map((m) => Number(m[1])), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], classic.stdout);
  assert.ok(steps.every((m) => m[2] === '13'));
  assert.equal(steps[0]?.[3], 'FROM busybox AS base');
  assert.equal(steps[4]?.[3], 'FROM base AS b');
  assert.match(classic.stdout, /^ ---> Using cache\n ---> [0-9a-f]{12}$/m);

  // --no-cache-filter: stage a is rebuilt, the others come from the cache.
  const filtered = await d.berth(['build', '--progress=plain', '--no-cache-filter', 'a', ctx]);
  assert.equal(filtered.code, 0, filtered.stderr);
  assert.match(filtered.stderr, /^#(\d+) \[a 2\/2\] RUN echo a.*\n(?:#\1 .*\n)*#\1 DONE/m);
  assert.match(filtered.stderr, /^#(\d+) \[b 2\/2\] RUN echo b.*\n#\1 CACHED/m);
});

test('--target builds only what the target needs; a failing needed stage fails the build with its code', async () => {
  const ctx = context('target', { Dockerfile: GRAPH });
  const b = await d.berth(['build', '--progress=plain', '--target', 'BASE', '-t', 'just-base', ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.doesNotMatch(b.stderr, /RUN echo a/);
  assert.equal((await d.berth(['run', '--rm', 'just-base', 'cat', '/base'])).stdout, 'base\n');
  const broken = await d.berth(['build', '--progress=plain', '--target', 'broken', ctx]);
  assert.equal(broken.code, 3, broken.stderr);
  assert.match(broken.stderr, /^#\d+ \d+\.\d{3} the unneeded stage ran$/m);
  // In BuildKit's words, and its summary of the failed step's output.
  assert.match(broken.stderr, /^#\d+ ERROR: process "\/bin\/sh -c echo the unneeded stage ran; exit 3" did not complete successfully: exit code: 3$/m);
  assert.match(broken.stderr, /^------\n > \[broken 2\/2\] RUN echo the unneeded stage ran; exit 3:\nthe unneeded stage ran\n------\nERROR: process /m);
  // A needed stage that fails stops the one running beside it.
  const both = context('both', { Dockerfile: 'FROM busybox AS slow\nRUN echo slow started; sleep 30\nFROM busybox AS fails\nRUN sleep 1; exit 4\nFROM busybox\nCOPY --from=slow /bin/sh /a\nCOPY --from=fails /bin/sh /b\n' });
  const stopped = await d.berth(['build', '--progress=plain', both]);
  assert.equal(stopped.code, 4, stopped.stderr);
  assert.match(stopped.stderr, /^#(\d+) \[slow 2\/2\] RUN echo slow started; sleep 30\n(?:#\1 .*\n|\n|#\d+ .*\n)*?#\1 CANCELED$/m);
  assert.match(stopped.stderr, /^#\d+ ERROR: process "\/bin\/sh -c sleep 1; exit 4" did not complete successfully: exit code: 4$/m);
  const missing = await d.berth(['build', '--target', 'nope', ctx]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /failed to reach build target nope in Dockerfile/);
  assert.equal((await d.berth(['ps', '-a', '-q'])).stdout, '', 'no build container is left');
});

test('a cycle between stages and a COPY --from of a stage that does not exist are errors naming the line', async () => {
  const cycle = context('cycle', { Dockerfile: 'FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n' });
  const c = await d.berth(['build', '--target', 'b', cycle]);
  assert.notEqual(c.code, 0);
  assert.match(c.stderr, /Dockerfile line 2 \(COPY --from=b \/x \/x\): circular dependency detected on stage: b \(b -> a -> b\)/);
  const missing = context('missing', { Dockerfile: 'FROM busybox\nRUN true\nCOPY --from=nothere /x /x\n' });
  const m = await d.docker(['build', missing]);
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /Dockerfile line 3 \(COPY --from=nothere \/x \/x\): no build stage and no image is named "nothere"/);
  assert.equal((await d.berth(['ps', '-a', '-q'])).stdout, '', 'no build container is left');
});

test('the classic stream shows the steps of stages that ran at once in Dockerfile order, with DOCKER_BUILDKIT=0 in berth build too', async () => {
  const ctx = context('classic', { Dockerfile: 'FROM busybox AS one\nRUN sleep 1; echo one\nFROM busybox AS two\nRUN echo two\nFROM busybox\nCOPY --from=one /bin/sh /one\nCOPY --from=two /bin/sh /two\n' });
  const b = await d.run('env', ['DOCKER_BUILDKIT=0', BERTH, 'build', ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /^Step 1\/7 : FROM busybox AS one\n ---> [0-9a-f]{12}\nStep 2\/7 : RUN sleep 1; echo one\n ---> Running in [0-9a-f]{12}\none\n/m);
  assert.match(b.stdout, /one\n(?:.*\n)*Step 3\/7 : FROM busybox AS two\n(?:.*\n)*two\n(?:.*\n)*Step 5\/7 : FROM busybox\n/);
  assert.match(b.stdout, /^Successfully built [0-9a-f]{12}$/m);
});

test('POST /build/cancel stops the running build with that buildid', async () => {
  const tw = new TarWriter();
  const df = Buffer.from('FROM busybox\nRUN echo started; sleep 60\n');
  const writing = (async () => {
    await tw.add({ name: 'Dockerfile', type: 'file', size: df.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, df);
    await tw.finish();
  })();
  const chunks: Buffer[] = [];
  for await (const c of tw.stream as AsyncIterable<Buffer>) chunks.push(c);
  await writing;
  const call = (method: string, path: string, body?: Buffer, onData?: (s: string) => void): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: d.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (r) => {
        let s = '';
        r.on('data', (b: Buffer) => {
          s += b.toString();
          onData?.(s);
        });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: s }));
      });
      req.on('error', reject);
      req.end(body);
    });
  let cancelled: Promise<{ status: number; body: string }> | null = null;
  const build = call('POST', '/build?buildid=cancel-me&t=never', Buffer.concat(chunks), (s) => {
    if (!cancelled && s.includes('started')) cancelled = call('POST', '/build/cancel?id=cancel-me');
  });
  const res = await build;
  assert.ok(cancelled, res.body);
  assert.equal((await (cancelled as Promise<{ status: number }>)).status, 200);
  assert.match(res.body, /"error":"the build was cancelled"/);
  assert.equal((await d.berth(['images', '-q', 'never'])).stdout, '');
  assert.equal((await d.berth(['ps', '-a', '-q'])).stdout, '', 'no build container is left');
  // An ID with no running build is not an error (the build may just have ended), as in dockerd.
  assert.equal((await call('POST', '/build/cancel?id=gone')).status, 200);
});

test('docker-py builds a multi-stage Dockerfile through the classic stream (its image from the aux ID, its log lines)', async () => {
  const ctx = context('py', { Dockerfile: 'FROM busybox AS one\nRUN echo one > /one\nFROM busybox AS skipped\nRUN exit 9\nFROM busybox\nCOPY --from=one /one /one\nCMD ["cat", "/one"]\n' });
  const script = join(d.dir, 'build.py');
  writeFileSync(
    script,
    [
      'import docker',
      'c = docker.from_env()',
      `img, logs = c.images.build(path=${JSON.stringify(ctx)}, tag='pybuilt')`,
      "lines = [l['stream'] for l in logs if 'stream' in l]",
      "print('id=' + img.id)",
      "print('steps=' + ','.join(l.split(' : ')[0] for l in lines if l.startswith('Step ')))",
      "print('arrows=' + str(sum(1 for l in lines if l.startswith(' ---> '))))",
      "print('run=' + c.containers.run('pybuilt', remove=True).decode().strip())",
    ].join('\n'),
  );
  const r = await d.run('/usr/bin/python3', [script], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^id=sha256:[0-9a-f]{64}$/m);
  assert.match(r.stdout, /^steps=Step 1\/5,Step 2\/5,Step 3\/5,Step 4\/5,Step 5\/5$/m);
  assert.match(r.stdout, /^arrows=([6-9]|\d\d+)$/m);
  assert.match(r.stdout, /^run=one$/m);
});

test('Ctrl-C in berth build asks berthd to cancel the build (POST /build/cancel), which ends with its error', async () => {
  const ctx = context('sigint', { Dockerfile: 'FROM busybox\nRUN echo running now; sleep 60\n' });
  const child = spawn(BERTH, ['build', '--progress=plain', '-t', 'interrupted', ctx], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    const first = !err.includes('running now');
    err += b.toString();
    if (first && err.includes('running now')) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 1, err);
  assert.match(err, /^#\d+ ERROR: the build was cancelled$/m);
  assert.equal((await d.berth(['images', '-q', 'interrupted'])).stdout, '');
  // Only this build's: the docker-py build above keeps its intermediate containers (rm=False is docker-py's default).
  const left = await d.berth(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']);
  assert.doesNotMatch(left.stdout, /running now/, 'no build container is left');
});
