import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const DOCKERFILE = [
  'FROM busybox AS build',
  'RUN echo compiled > /artifact && echo building the artifact',
  'FROM scratch',
  'COPY --from=build /artifact /out/artifact',
  'COPY --from=build /bin/busybox /bin/sh',
  'COPY note.txt /note.txt',
  'CMD ["/bin/sh", "-c", "cat /out/artifact"]',
].join('\n');

const context = (name: string): string => writeTree(join(d.dir, name), { Dockerfile: DOCKERFILE, 'note.txt': 'a note\n' });

test('-o type=local and -o DIR write the final stage files; type=tar the same as a tar', async () => {
  const ctx = context('local');
  const out = join(d.dir, 'out-local');
  const b = await d.berth(['build', '--progress=plain', '-o', `type=local,dest=${out}`, ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(readFileSync(join(out, 'out/artifact'), 'utf8'), 'compiled\n');
  assert.equal(readFileSync(join(out, 'note.txt'), 'utf8'), 'a note\n');
  assert.ok(!existsSync(join(out, 'etc/passwd')), 'only the final stage is written');
  const short = join(d.dir, 'out-short');
  assert.equal((await d.berth(['build', '-q', '-o', short, ctx])).code, 0);
  assert.equal(readFileSync(join(short, 'out/artifact'), 'utf8'), 'compiled\n');
  const tarFile = join(d.dir, 'rootfs.tar');
  const t = await d.berth(['build', '-q', '--output', `type=tar,dest=${tarFile}`, ctx]);
  assert.equal(t.code, 0, t.stderr);
  const names = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n');
  assert.ok(names.includes('out/artifact') && names.includes('note.txt'), names.join(' '));
  assert.equal(execFileSync('tar', ['-xOf', tarFile, 'out/artifact'], { encoding: 'utf8' }), 'compiled\n');
  // -o - is the tar on stdout (the progress stays on stderr, and no ID is printed into the tar).
  const piped = await d.berth(['build', '--progress=plain', '-o', '-', ctx]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(piped.stdout.includes('out/artifact') && piped.stdout.includes('compiled\n'));
  assert.doesNotMatch(piped.stdout, /sha256:[0-9a-f]{64}\n$/);
  assert.match(piped.stderr, /^#\d+ exporting to image$/m);
  assert.equal((await d.berth(['ps', '-a', '-q'])).stdout, '', 'the export container is gone');
  for (const [spec, err] of [
    ['type=registry', /type=registry is not supported by berth/],
    ['type=local', /type=local needs dest=/],
    ['type=tar,dest=x,compression=gzip', /type=tar does not take "compression"/],
    ['type=image,push=true', /push=true is not supported/],
  ] as const) {
    const r = await d.berth(['build', '-o', spec, ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, err);
  }
});

test('-o type=docker loads with docker load; -o type=oci is an OCI archive skopeo reads; --iidfile and --metadata-file', async () => {
  const ctx = context('archives');
  const dockerTar = join(d.dir, 'image-docker.tar');
  const iid = join(d.dir, 'iid');
  const meta = join(d.dir, 'meta.json');
  const b = await d.berth(['build', '--progress=quiet', '-t', 'out:docker', '-o', `type=docker,dest=${dockerTar}`, '--iidfile', iid, '--metadata-file', meta, ctx]);
  assert.equal(b.code, 0, b.stderr);
  const id = readFileSync(iid, 'utf8');
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(b.stdout, `${id}\n`, 'quiet prints only the ID');
  const md = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, string>;
  assert.equal(md['containerimage.digest'], id);
  assert.equal(md['containerimage.config.digest'], id);
  assert.equal(md['image.name'], 'out:docker');
  assert.equal((await d.docker(['rmi', 'out:docker'])).code, 0);
  const load = await d.docker(['load', '-i', dockerTar]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: out:docker/);
  assert.equal((await d.docker(['run', '--rm', 'out:docker'])).stdout, 'compiled\n');

  const ociTar = join(d.dir, 'image-oci.tar');
  const o = await d.berth(['build', '-q', '-o', `type=oci,dest=${ociTar}`, ctx]);
  assert.equal(o.code, 0, o.stderr);
  const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${ociTar}`], { encoding: 'utf8' })) as { config: { digest: string }; layers: unknown[] };
  // (The cache went with the rmi above: this build made a new image; its ID is what -q printed.)
  assert.equal(`${manifest.config.digest}\n`, o.stdout, 'the archive holds the built image');
  assert.equal(manifest.layers.length, 3);
  const layout = join(d.dir, 'layout');
  execFileSync('skopeo', ['copy', `oci-archive:${ociTar}`, `oci:${layout}:copied`]);
  assert.ok(existsSync(join(layout, 'index.json')));
});

test('--progress: plain shows the RUN output; tty a [+] Building view; rawjson BuildKit SolveStatus lines; --label, --pull', async () => {
  const ctx = context('progress');
  const plain = await d.berth(['build', '--progress=plain', '--no-cache', '--label', 'made.by=berth', '-t', 'prog', ctx]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, '', 'BuildKit progress goes to stderr');
  assert.match(plain.stderr, /^#(\d+) \[build 2\/2\] RUN echo compiled > \/artifact && echo building the artifact\n#\1 \d+\.\d{3} building the artifact\n#\1 DONE \d+\.\d+s$/m);
  assert.match(plain.stderr, /^#\d+ \[stage-1 3\/4\] COPY --from=build \/bin\/busybox \/bin\/sh$/m);
  assert.equal((await d.berth(['inspect', '-f', '{{index .Config.Labels "made.by"}}', 'prog'])).stdout, 'berth\n');

  const tty = await d.berth(['build', '--progress=tty', ctx]);
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stderr, /\[\+\] Building \d+\.\d+s \(\d+\/\d+\) FINISHED/);
  assert.match(tty.stderr, / => CACHED \[build 2\/2\] RUN echo compiled/);

  const raw = await d.berth(['build', '--progress=rawjson', '--no-cache', ctx]);
  assert.equal(raw.code, 0, raw.stderr);
  const updates = raw.stderr.trim().split('\n').map((l) => JSON.parse(l) as { vertexes?: { name: string; completed?: string }[]; logs?: { data: string }[] });
  assert.ok(updates.some((u) => u.vertexes?.some((v) => v.name === '[build 2/2] RUN echo compiled > /artifact && echo building the artifact' && v.completed)));
  assert.ok(updates.some((u) => u.logs?.some((l) => Buffer.from(l.data, 'base64').toString() === 'building the artifact\n')));

  // --pull asks for the base image from its registry even though it is here (this machine has none).
  const pull = await d.berth(['build', '--pull', '--progress=plain', ctx]);
  assert.notEqual(pull.code, 0);
  assert.match(pull.stderr, /registry-1\.docker\.io|pull/);
  assert.match(pull.stderr, /^ERROR: /m);
  const bad = await d.berth(['build', '--progress=fancy', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid progress mode "fancy"/);
});
