import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, linkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';
import { TarWriter } from '../src/util/tar/index.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** A build context directory with these files. */
const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

test('docker build (legacy builder): steps, files, env, user, workdir and cmd of the built image', async () => {
  const ctx = context('basic', {
    Dockerfile: [
      'FROM busybox',
      'ENV GREETING="hello world" TARGET=/srv',
      'WORKDIR $TARGET/app',
      'COPY hello.txt ./',
      'COPY dir/ /data/',
      'RUN echo "built by $(id -u)" > /built && mkdir -p /home/u && chown 1000 /home/u',
      'USER 1000',
      'RUN echo "$(id -u) in $(pwd) says $GREETING" > /home/u/ran',
      'CMD ["sh", "-c", "echo $GREETING; pwd; id -u; cat hello.txt /built /home/u/ran; ls /data"]',
    ].join('\n'),
    'hello.txt': 'hi from the context\n',
    'dir/a.txt': 'a\n',
    'dir/sub/b.txt': 'b\n',
  });
  const b = await d.docker(['build', '-t', 'basic', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /^Step 1\/9 : FROM busybox$/m);
  assert.match(b.stdout, /^Step 6\/9 : RUN echo/m);
  assert.match(b.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
  assert.match(b.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(b.stdout, /^Successfully tagged basic:latest$/m);
  const r = await d.docker(['run', '--rm', 'basic']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello world\n/srv/app\n1000\nhi from the context\nbuilt by 0\n1000 in /srv/app says hello world\na.txt\nsub\n');
});

test('a second build reuses every step (Using cache); a changed context file rebuilds from its COPY on', async () => {
  const files = { Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt /one > /both\nCMD ["cat", "/both"]\n', 'a.txt': 'first\n' };
  const ctx = context('cache', files);
  const first = await d.docker(['build', '-t', 'cached', ctx]);
  assert.equal(first.code, 0, first.stderr);
  assert.doesNotMatch(first.stdout, /Using cache/);
  const again = await d.docker(['build', '-t', 'cached', ctx]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.match(/ ---> Using cache/g)?.length, 4, again.stdout);
  assert.equal(/Successfully built (\w+)/.exec(again.stdout)?.[1], /Successfully built (\w+)/.exec(first.stdout)?.[1]);
  writeFileSync(join(ctx, 'a.txt'), 'second\n');
  const changed = await d.docker(['build', '-t', 'cached', ctx]);
  assert.equal(changed.code, 0, changed.stderr);
  // Only the RUN before the COPY comes from the cache.
  assert.equal(changed.stdout.match(/ ---> Using cache/g)?.length, 1, changed.stdout);
  assert.equal((await d.docker(['run', '--rm', 'cached'])).stdout, 'second\none\n');
  const nocache = await d.docker(['build', '--no-cache', '-t', 'cached', ctx]);
  assert.equal(nocache.code, 0, nocache.stderr);
  assert.doesNotMatch(nocache.stdout, /Using cache/);
});

test('multi-stage: COPY --from a named stage, --target stops at a stage', async () => {
  const ctx = context('multi', {
    Dockerfile: [
      'FROM busybox AS build',
      'RUN mkdir /out && echo compiled > /out/app && chmod 755 /out/app',
      'FROM busybox AS other',
      'RUN echo other > /other',
      'FROM busybox',
      'COPY --from=build /out/app /usr/local/bin/app',
      'COPY --from=1 /other /other',
      'CMD ["sh", "-c", "cat /usr/local/bin/app /other; ls /out 2>&1 || true"]',
    ].join('\n'),
  });
  const b = await d.docker(['build', '-t', 'multi', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /^Step 8\/8 : CMD/m);
  const r = await d.docker(['run', '--rm', 'multi']);
  assert.match(r.stdout, /^compiled\nother\nls: \/out: No such file or directory\n$/);
  const t = await d.docker(['build', '--target', 'build', '-t', 'multi-build', ctx]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^Step 2\/2 : RUN/m);
  assert.equal((await d.docker(['run', '--rm', 'multi-build', 'cat', '/out/app'])).stdout, 'compiled\n');
  const bad = await d.docker(['build', '--target', 'nope', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
});

test('--build-arg, ARG defaults, ARG before FROM, and history like Docker\'s', async () => {
  const ctx = context('args', {
    Dockerfile: [
      'ARG BASE=busybox',
      'FROM $BASE',
      'ARG WHO=nobody',
      'ARG UNSET',
      'LABEL who=$WHO',
      'RUN echo "hello $WHO${UNSET:-!}" > /greeting',
      'EXPOSE 8080',
      'CMD ["cat", "/greeting"]',
    ].join('\n'),
  });
  const b = await d.docker(['build', '--build-arg', 'WHO=world', '--build-arg', 'EXTRA=1', '-t', 'args', ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /\[Warning\] One or more build-args \[EXTRA\] were not consumed/);
  assert.equal((await d.docker(['run', '--rm', 'args'])).stdout, 'hello world!\n');
  const labels = (await d.docker(['inspect', '-f', '{{json .Config.Labels}} {{json .Config.ExposedPorts}}', 'args'])).stdout.trim();
  assert.equal(labels, '{"who":"world"} {"8080/tcp":{}}');
  const h = await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'args']);
  assert.deepEqual(h.stdout.trim().split('\n').slice(0, 6), [
    '/bin/sh -c #(nop)  CMD ["cat" "/greeting"]',
    '/bin/sh -c #(nop)  EXPOSE 8080',
    '|1 WHO=world /bin/sh -c echo "hello $WHO${UNSET:-!}" > /greeting',
    '/bin/sh -c #(nop)  LABEL who=world',
    '/bin/sh -c #(nop)  ARG UNSET',
    '/bin/sh -c #(nop)  ARG WHO=nobody',
  ]);
});

test('a failing RUN fails the build with Docker\'s message and exit code, leaving no container and no tag', async () => {
  const ctx = context('fail', { Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 3\n' });
  const b = await d.docker(['build', '-t', 'failed', ctx]);
  assert.equal(b.code, 3);
  assert.match(b.stdout, /about to fail/);
  assert.match(b.stderr, /The command '\/bin\/sh -c echo about to fail && exit 3' returned a non-zero code: 3/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
  assert.notEqual((await d.docker(['image', 'inspect', 'failed'])).code, 0);
});

test('bad input: parse errors name the line, missing and outside-context sources are refused', async () => {
  const parse = await d.docker(['build', context('parse', { Dockerfile: 'FROM busybox\nRUN true\nFOO bar\n' })]);
  assert.notEqual(parse.code, 0);
  assert.match(parse.stderr, /dockerfile parse error on line 3: unknown instruction: FOO/);
  const missing = await d.docker(['build', context('missing', { Dockerfile: 'FROM busybox\nCOPY missing /x\n' })]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat missing: file does not exist/);
  const outside = await d.docker(['build', context('outside', { Dockerfile: 'FROM busybox\nCOPY ../x /x\n' })]);
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /COPY failed: forbidden path outside the build context: \.\.\/x/);
  const noBase = await d.docker(['build', context('nobase', { Dockerfile: 'FROM nosuchimage:1\n' })]);
  assert.notEqual(noBase.code, 0);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});

/** POST /build with a hand-made context tar; the reply's JSON messages. */
async function buildTar(entries: { name: string; type: 'file' | 'symlink'; body?: string; linkname?: string }[]): Promise<{ stream?: string; error?: string }[]> {
  const w = new TarWriter();
  const done = (async () => {
    for (const e of entries) {
      const body = Buffer.from(e.body ?? '');
      await w.add({ name: e.name, type: e.type, size: e.type === 'file' ? body.length : 0, mode: 0o644, uid: 0, gid: 0, mtime: new Date(), ...(e.linkname ? { linkname: e.linkname } : {}) }, body);
    }
    await w.finish();
  })();
  const chunks: Buffer[] = [];
  for await (const c of w.stream as AsyncIterable<Buffer>) chunks.push(c);
  await done;
  const res = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: '/build?t=escape', headers: { 'Content-Type': 'application/x-tar' } }, (r) => {
      let s = '';
      r.on('data', (b: Buffer) => (s += b.toString()));
      r.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.end(Buffer.concat(chunks));
  });
  // An error before the first message is the reply itself ({"message"}, as dockerd sends it), not a stream line.
  return res
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { stream?: string; error?: string; message?: string })
    .map((m) => (m.message !== undefined ? { error: m.message } : m));
}

test('a context tar that tries to escape stays inside the context', async () => {
  const marker = `berth-escape-${process.pid}-${Date.now()}`;
  const dotdot = await buildTar([{ name: 'Dockerfile', type: 'file', body: 'FROM busybox\n' }, { name: `../../${marker}`, type: 'file', body: 'x' }]);
  assert.match(dotdot.at(-1)?.error ?? '', /path escapes the layer root/);
  // A symlink to the host's /tmp, then a file through it: written inside the context instead.
  const through = await buildTar([
    { name: 'Dockerfile', type: 'file', body: 'FROM busybox\nCOPY hosttmp/ /copied/\nCOPY hostetc/hostname /h\n' },
    { name: 'hosttmp', type: 'symlink', linkname: '/tmp' },
    { name: `hosttmp/${marker}`, type: 'file', body: 'confined' },
    { name: 'hostetc', type: 'symlink', linkname: '/etc' },
  ]);
  assert.equal(existsSync(`/tmp/${marker}`), false);
  assert.match(through.at(-1)?.error ?? '', /COPY failed: file not found in build context or excluded by \.dockerignore: stat hostetc\/hostname/);
  const viaLink = await buildTar([{ name: 'Dockerfile', type: 'symlink', linkname: '/etc/passwd' }]);
  assert.match(viaLink.at(-1)?.error ?? '', /Cannot locate specified Dockerfile: Dockerfile/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});

test('-f with a Dockerfile outside the context (docker CLI and berth): built, and it does not join the context', async () => {
  const ctx = context('outside-df/ctx', { 'a.txt': 'A\n', '.dockerignore': 'b.txt\n', 'b.txt': 'B\n' });
  const bare = context('outside-df/bare', { 'c.txt': 'C\n' });
  const df = join(d.dir, 'outside-df', 'Custom.Dockerfile');
  writeFileSync(df, 'FROM busybox\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n');
  for (const [cli, run] of [['docker', d.docker.bind(d)], ['berth', d.berth.bind(d)]] as const) {
    const b = await run(['build', '-f', df, '-t', `outside-${cli}`, ctx]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    // The user's .dockerignore stays in the context, as with Docker; the Dockerfile does not join it.
    assert.equal((await d.docker(['run', '--rm', `outside-${cli}`])).stdout, '.dockerignore\na.txt\n', cli);
    // Without a .dockerignore of its own, the one the client makes leaves the context too.
    assert.equal((await run(['build', '-f', df, '-t', `bare-${cli}`, bare])).code, 0);
    assert.equal((await d.docker(['run', '--rm', `bare-${cli}`])).stdout, 'c.txt\n', cli);
  }
});

test('COPY keeps files hard-linked in the context as one file (the layer holds the bytes once), as Docker does', async () => {
  const ctx = context('hardlinks', { Dockerfile: 'FROM busybox\nCOPY data /d/\nCMD ["sh", "-c", "stat -c \'%h %i\' /d/big /d/big2 /d/other"]\n', 'data/other': 'x' });
  writeFileSync(join(ctx, 'data', 'big'), Buffer.alloc(1 << 20, 7));
  linkSync(join(ctx, 'data', 'big'), join(ctx, 'data', 'big2'));
  const b = await d.docker(['build', '-t', 'hardlinks', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  const out = (await d.docker(['run', '--rm', 'hardlinks'])).stdout.trim().split('\n');
  const [big, big2, other] = out.map((l) => l.split(' '));
  assert.deepEqual([big?.[0], big2?.[0], other?.[0]], ['2', '2', '1'], out.join('\n'));
  assert.equal(big?.[1], big2?.[1], 'one inode');
  const sizes = (await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'hardlinks'])).stdout;
  const copyStep = sizes.split('\n').find((l) => l.includes('COPY'));
  assert.match(copyStep ?? '', /\|1\.0[0-9]?MB$/, `the 1 MiB file is stored once: ${copyStep ?? sizes}`);
});
