import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { BERTH, eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** A build context directory with these files. */
const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

test('berth build: -f, several -t, --label, .dockerignore, and -q printing only the ID', async () => {
  const ctx = context('cli', {
    'build/app.Dockerfile': 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort > /listing\nCMD ["cat", "/listing"]\n',
    '.dockerignore': '*.log\nsecret/\n!keep.log\n',
    'main.txt': 'main\n',
    'debug.log': 'noise\n',
    'keep.log': 'kept\n',
    'secret/key': 'hidden\n',
  });
  const b = await d.berth(['build', '--progress=plain', '-f', join(ctx, 'build/app.Dockerfile'), '-t', 'cli:one', '-t', 'cli:two', '--label', 'stage=test', ctx]);
  assert.equal(b.code, 0, b.stderr);
  // BuildKit's progress, on stderr: the steps that make files are numbered.
  assert.match(b.stderr, /^#\d+ \[1\/3\] FROM busybox$/m);
  assert.match(b.stderr, /^#\d+ \[3\/3\] RUN find \/ctx -type f \| sort > \/listing$/m);
  assert.match(b.stderr, /^#\d+ \d+\.\d+ naming to docker.io\/library\/cli:one done\n#\d+ \d+\.\d+ naming to docker.io\/library\/cli:two done$/m);
  // The classic builder's text with DOCKER_BUILDKIT=0, as docker prints it.
  const classic = await d.run('env', ['DOCKER_BUILDKIT=0', BERTH, 'build', '--no-cache', '-f', join(ctx, 'build/app.Dockerfile'), '-t', 'cli:one', '-t', 'cli:two', '--label', 'stage=test', ctx]);
  assert.equal(classic.code, 0, classic.stderr);
  assert.match(classic.stdout, /^Step 1\/5 : FROM busybox\n ---> [0-9a-f]{12}$/m);
  assert.match(classic.stdout, /^Step 5\/5 : LABEL "stage"="test"$/m);
  assert.match(classic.stdout, /^Successfully tagged cli:one\nSuccessfully tagged cli:two$/m);
  const r = await d.berth(['run', '--rm', 'cli:two']);
  assert.equal(r.stdout, '/ctx/.dockerignore\n/ctx/build/app.Dockerfile\n/ctx/keep.log\n/ctx/main.txt\n');
  assert.equal((await d.berth(['inspect', '-f', '{{.Config.Labels.stage}}', 'cli:one'])).stdout, 'test\n');
  const q = await d.berth(['build', '-q', '-f', join(ctx, 'build/app.Dockerfile'), ctx]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const id = (await d.berth(['inspect', '-f', '{{.Id}}', 'cli:one'])).stdout;
  assert.notEqual(q.stdout, id, 'the build without the label is another image');
});

test('berth build - reads a tar context (or a bare Dockerfile) from stdin', async () => {
  const ctx = context('stdin', { Dockerfile: 'FROM busybox\nCOPY f /f\nCMD ["cat", "/f"]\n', f: 'from a tar\n' });
  const tar = execFileSync('tar', ['-C', ctx, '-czf', '-', '.']);
  const b = await d.berth(['build', '-t', 'stdin', '-'], { input: tar });
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await d.berth(['run', '--rm', 'stdin'])).stdout, 'from a tar\n');
  const bare = await d.docker(['build', '-t', 'bare', '-'], { input: 'FROM busybox\nENV X=bare\nCMD ["sh", "-c", "echo $X"]\n' });
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal((await d.docker(['run', '--rm', 'bare'])).stdout, 'bare\n');
});

test('ADD unpacks local tar archives (gzip, bzip2, xz); COPY --chown/--chmod; FROM scratch', async () => {
  const ctx = context('add', { 'payload/dir/file.txt': 'packed\n', plain: 'plain\n' });
  for (const [flag, ext] of [['-z', 'tgz'], ['-j', 'tbz'], ['-J', 'txz']] as const) execFileSync('tar', ['-C', join(ctx, 'payload'), flag, '-cf', join(ctx, `p.${ext}`), 'dir']);
  writeFileSync(
    join(ctx, 'Dockerfile'),
    [
      'FROM busybox',
      'ADD p.tgz /gz/',
      'ADD p.tbz /bz/',
      'ADD p.txz /xz/',
      'COPY --chown=1000:100 --chmod=0600 plain /owned',
      'CMD ["sh", "-c", "cat /gz/dir/file.txt /bz/dir/file.txt /xz/dir/file.txt; stat -c \'%u %g %a\' /owned"]',
    ].join('\n'),
  );
  const b = await d.docker(['build', '-t', 'adder', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.equal((await d.docker(['run', '--rm', 'adder'])).stdout, 'packed\npacked\npacked\n1000 100 600\n');
  const url = await d.docker(['build', context('url', { Dockerfile: 'FROM busybox\nADD http://127.0.0.1:1/x /x\n' })]);
  assert.notEqual(url.code, 0);
  assert.match(url.stderr, /Dockerfile:2\n[\s\S]*failed to download http:\/\/127\.0\.0\.1:1\/x: connection refused/);
  // FROM scratch: only files, run from another image.
  const s = context('scratch', { Dockerfile: 'FROM scratch\nCOPY hello /hello\n', hello: 'from scratch\n' });
  const sb = await d.docker(['build', '-t', 'scratchy', s]);
  assert.equal(sb.code, 0, sb.stderr + sb.stdout);
  const layers = JSON.parse((await d.docker(['inspect', '-f', '{{json .RootFS.Layers}}', 'scratchy'])).stdout) as string[];
  assert.equal(layers.length, 1);
  const user = context('scratch-user', { Dockerfile: 'FROM busybox\nCOPY --from=scratchy /hello /hello\nCMD ["cat", "/hello"]\n' });
  assert.equal((await d.docker(['build', '-t', 'from-scratchy', user])).code, 0);
  assert.equal((await d.docker(['run', '--rm', 'from-scratchy'])).stdout, 'from scratch\n');
});

test('ONBUILD triggers run in the child build; SHELL, ENTRYPOINT, STOPSIGNAL, HEALTHCHECK, VOLUME, MAINTAINER land in the config', async () => {
  const parent = context('onbuild-parent', {
    Dockerfile: [
      'FROM busybox',
      'MAINTAINER someone@example.com',
      'ONBUILD COPY marker /marker',
      'ONBUILD RUN echo triggered >> /marker',
      'SHELL ["/bin/sh", "-ec"]',
      'STOPSIGNAL SIGUSR1',
      'HEALTHCHECK --interval=5s --retries=2 CMD true',
      'VOLUME /data',
      'ENTRYPOINT ["cat"]',
    ].join('\n'),
  });
  assert.equal((await d.docker(['build', '-t', 'parent', parent])).code, 0);
  const cfg = JSON.parse((await d.docker(['inspect', 'parent'])).stdout)[0];
  assert.equal(cfg.Author, 'someone@example.com');
  assert.deepEqual(cfg.Config.OnBuild, ['COPY marker /marker', 'RUN echo triggered >> /marker']);
  assert.deepEqual(cfg.Config.Shell, ['/bin/sh', '-ec']);
  assert.equal(cfg.Config.StopSignal, 'SIGUSR1');
  assert.deepEqual(cfg.Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  assert.deepEqual(cfg.Config.Volumes, { '/data': {} });
  assert.deepEqual(cfg.Config.Entrypoint, ['cat']);
  const child = context('onbuild-child', { Dockerfile: 'FROM parent\nCMD ["/marker"]\n', marker: 'copied\n' });
  const b = await d.docker(['build', '-t', 'child', child]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /# Executing 2 build triggers/);
  assert.equal((await d.docker(['run', '--rm', 'child'])).stdout, 'copied\ntriggered\n');
  assert.equal((await d.docker(['inspect', '-f', '{{json .Config.OnBuild}}', 'child'])).stdout.trim(), 'null');
});

test('dockerode buildImage with a tar stream', async () => {
  const docker = new Docker({ socketPath: d.socket });
  const ctx = context('dockerode', { Dockerfile: 'FROM busybox\nRUN echo via dockerode > /via\nCMD ["cat", "/via"]\n' });
  const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile'] }, { t: 'viadockerode' });
  const out = await new Promise<{ stream?: string; aux?: { ID: string } }[]>((resolve, reject) => docker.modem.followProgress(stream, (err, res) => (err ? reject(err) : resolve(res as never))));
  assert.ok(out.some((m) => m.aux?.ID?.startsWith('sha256:')));
  assert.ok(out.some((m) => m.stream === 'Successfully tagged viadockerode:latest\n'));
  assert.equal((await d.docker(['run', '--rm', 'viadockerode'])).stdout, 'via dockerode\n');
});

test('a client that hangs up mid-build cancels it: the RUN container is killed and removed', async () => {
  const ctx = context('hangup', { Dockerfile: 'FROM busybox\nRUN echo started; sleep 300\n' });
  const child = spawn('docker', ['build', '-t', 'never', ctx], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await eventually(async () => out.includes('\nstarted\n'), 30_000, 'the RUN step to start');
  assert.equal((await d.docker(['ps', '-q'])).stdout.split('\n').filter(Boolean).length, 1);
  child.kill('SIGKILL');
  await eventually(async () => (await d.docker(['ps', '-aq'])).stdout === '', 20_000, 'the build container to go');
  assert.notEqual((await d.docker(['image', 'inspect', 'never'])).code, 0);
});

test('builder prune and image prune remove the build cache; rmi takes the untagged steps along', async () => {
  const ctx = context('prune', { Dockerfile: 'FROM busybox\nRUN echo x > /x\nENV A=1\n' });
  assert.equal((await d.docker(['build', '-t', 'prunable', ctx])).code, 0);
  const hidden = (await d.docker(['images', '-aq'])).stdout.split('\n').filter(Boolean).length;
  const shown = (await d.docker(['images', '-q'])).stdout.split('\n').filter(Boolean).length;
  assert.ok(hidden > shown, 'intermediate images are hidden without -a');
  const rmi = await d.docker(['rmi', 'prunable']);
  assert.equal(rmi.code, 0, rmi.stderr);
  // The final image and the RUN step below it (the ENV step is the final image).
  assert.equal(rmi.stdout.match(/^Deleted: /gm)?.length, 2, rmi.stdout);
  assert.equal((await d.docker(['build', '-t', 'prunable', ctx])).code, 0);
  const again = await d.docker(['build', '-t', 'prunable', ctx]);
  assert.match(again.stdout, /Using cache/);
  const p = await d.berth(['builder', 'prune', '-f']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Deleted build cache objects:\nsha256:/);
  const rebuilt = await d.docker(['build', '-t', 'prunable', ctx]);
  assert.doesNotMatch(rebuilt.stdout, /Using cache/);
  assert.equal((await d.docker(['run', '--rm', 'prunable', 'cat', '/x'])).stdout, 'x\n');
  const failed = await d.docker(['build', context('prune-fail', { Dockerfile: 'FROM busybox\nRUN echo ok > /ok\nRUN false\n' })]);
  assert.notEqual(failed.code, 0);
  const dangling = (await d.docker(['images', '-q', '--filter', 'dangling=true'])).stdout.trim();
  assert.notEqual(dangling, '', 'the successful step of the failed build stays as cache');
  const ip = await d.docker(['image', 'prune', '-f']);
  assert.equal(ip.code, 0, ip.stderr);
  assert.equal((await d.docker(['images', '-q', '--filter', 'dangling=true'])).stdout, '');
  assert.equal((await d.docker(['image', 'inspect', 'prunable'])).code, 0);
  // A base image that builds stand on: rmi by name untags it, by ID is refused (as Docker does).
  const base = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
  const byName = await d.docker(['rmi', 'busybox']);
  assert.equal(byName.stdout, 'Untagged: busybox:latest\n', byName.stderr);
  const byId = await d.docker(['rmi', base]);
  assert.notEqual(byId.code, 0);
  assert.match(byId.stderr, /image has dependent child images/);
  assert.equal((await d.docker(['run', '--rm', 'prunable', 'cat', '/x'])).stdout, 'x\n');
});
