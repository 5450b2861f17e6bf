import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** A build context directory with these files. */
const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

const cacheRoot = (): string => join(d.dataRoot, 'build-cache', 'mounts');

interface DfCache {
  ID: string;
  Type: string;
  Description: string;
  Size: number;
  UsageCount: number;
  InUse: boolean;
}

async function buildCache(): Promise<DfCache[]> {
  const r = await d.api('GET', '/system/df');
  assert.equal(r.status, 200, r.body);
  return (r.json as { BuildCache: DfCache[] }).BuildCache;
}

test('RUN --mount=type=cache (docker build): the directory persists across builds and a restart, stays out of the image, is counted by df and removed by builder prune', async () => {
  const ctx = context('cache', {
    Dockerfile: [
      'FROM busybox',
      'ARG N',
      'RUN --mount=type=cache,target=/var/cache/app,id=app echo "build $N" >> /var/cache/app/log && cp /var/cache/app/log /seen',
      'CMD ["sh", "-c", "cat /seen; ls -A /var/cache/app 2>&1; test -e /var/cache || echo no-cache-dir"]',
    ].join('\n'),
  });
  const one = await d.docker(['build', '-t', 'cache:one', '--build-arg', 'N=1', ctx]);
  assert.equal(one.code, 0, one.stderr + one.stdout);
  // The mount's options are part of the step (its cache key and history), not its contents.
  const hist = await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'cache:one']);
  assert.match(hist.stdout, /--mount=type=cache,gid=0,id=app,mode=0755,readonly=false,sharing=shared,target=\/var\/cache\/app,uid=0/);
  const two = await d.docker(['build', '-t', 'cache:two', '--build-arg', 'N=2', ctx]);
  assert.equal(two.code, 0, two.stderr + two.stdout);
  // The second build saw what the first wrote; neither image has the cache's files (nor the mount point).
  assert.equal((await d.docker(['run', '--rm', 'cache:two'])).stdout, 'build 1\nbuild 2\nls: /var/cache/app: No such file or directory\nno-cache-dir\n');
  assert.equal((await d.docker(['run', '--rm', 'cache:one'])).stdout, 'build 1\nls: /var/cache/app: No such file or directory\nno-cache-dir\n');

  // It survives berthd's restart.
  await d.stopDaemon();
  await d.spawn();
  const three = await d.docker(['build', '-t', 'cache:three', '--build-arg', 'N=3', ctx]);
  assert.equal(three.code, 0, three.stderr + three.stdout);
  assert.match((await d.docker(['run', '--rm', 'cache:three'])).stdout, /^build 1\nbuild 2\nbuild 3\n/);

  const caches = await buildCache();
  assert.equal(caches.length, 1, JSON.stringify(caches));
  assert.deepEqual([caches[0]?.Type, caches[0]?.Description, caches[0]?.UsageCount, caches[0]?.InUse], ['exec.cachemount', 'cached mount /var/cache/app (id app)', 3, false]);
  assert.ok((caches[0]?.Size ?? 0) > 0);
  const df = await d.docker(['system', 'df']);
  assert.match(df.stdout, /^Build Cache\s+1\s+0\s+\d[\d.]*[kM]?B\s+\d[\d.]*[kM]?B\s*$/m);
  const mine = await d.berth(['system', 'df']);
  assert.equal(/^Build Cache.*$/m.exec(mine.stdout)?.[0].replace(/\s+/g, ' '), /^Build Cache.*$/m.exec(df.stdout)?.[0].replace(/\s+/g, ' '));
  const verbose = await d.berth(['system', 'df', '-v']);
  assert.match(verbose.stdout, new RegExp(`^${caches[0]?.ID.slice(0, 12) ?? 'x'}\\s+exec\\.cachemount\\s+\\S+\\s.*\\s3\\s+false$`, 'm'));

  // What would choose among the caches is refused, not ignored: nothing is removed.
  const filtered = await d.docker(['builder', 'prune', '-f', '--filter', 'until=24h']);
  assert.notEqual(filtered.code, 0);
  assert.match(filtered.stderr, /builder prune filters are not supported by berth: until/);
  const kept = await d.docker(['builder', 'prune', '-f', '--keep-storage', '10MB']);
  assert.notEqual(kept.code, 0);
  assert.match(kept.stderr, /builder prune keep-storage is not supported by berth/);
  assert.equal((await buildCache()).length, 1);
  const prune = await d.docker(['builder', 'prune', '-f']);
  assert.equal(prune.code, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(caches[0]?.ID ?? 'x'));
  assert.deepEqual(await buildCache(), []);
  assert.deepEqual(readdirSync(cacheRoot()), []);
  // Pruned: the next build starts from an empty directory.
  const four = await d.docker(['build', '-t', 'cache:four', '--build-arg', 'N=4', ctx]);
  assert.equal(four.code, 0, four.stderr + four.stdout);
  assert.match((await d.docker(['run', '--rm', 'cache:four'])).stdout, /^build 4\n/);
});

test('cache mount options: uid/gid/mode of a new directory, from= seeding, a relative target under WORKDIR, and berth build', async () => {
  const ctx = context('cache-opts', {
    Dockerfile: [
      'FROM busybox AS seed',
      'RUN mkdir -p /seed && echo seeded > /seed/file',
      'FROM busybox',
      'WORKDIR /w',
      'RUN --mount=type=cache,target=c,uid=1000,gid=100,mode=0700,from=seed,source=/seed stat -c "%u %g %a" /w/c > /owner && cat /w/c/file >> /owner',
      'RUN --mount=type=cache,id=twice,target=/x,sharing=locked --mount=type=cache,id=twice,target=/y,sharing=locked echo same > /x/f && cat /y/f >> /owner',
      'RUN --mount=type=cache,target=/h <<EOF',
      'echo "from a heredoc" > /h/note',
      'cat /h/note >> /owner',
      'EOF',
      'CMD ["cat", "/owner"]',
    ].join('\n'),
  });
  const b = await d.berth(['build', '--progress=plain', '-t', 'cacheopts', ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await d.berth(['run', '--rm', 'cacheopts'])).stdout, '1000 100 700\nseeded\nsame\nfrom a heredoc\n');
  const again = await d.berth(['build', '--progress=plain', '-t', 'cacheopts', ctx]);
  assert.match(again.stderr, /RUN --mount=type=cache,target=c[^\n]*\n#\d+ CACHED/);
});

test('cache sharing: locked steps take turns, private gives a busy one another directory', async () => {
  const stage = (name: string, sharing: string, id: string): string[] => [
    `FROM busybox AS ${name}`,
    `RUN --mount=type=cache,target=/c,id=${id},sharing=${sharing} echo ${name}-start >> /c/log && sleep 2 && echo ${name}-end >> /c/log && ls /c > /seen`,
  ];
  // Two builds of two independent stages each: a build runs its stages at once (at least two at a time).
  const tail = (x: string, y: string): string[] => ['FROM busybox', `COPY --from=${x} /seen /${x}`, `COPY --from=${y} /seen /${y}`];
  for (const [name, lines] of [['locked', [...stage('a', 'locked', 'L'), ...stage('b', 'locked', 'L'), ...tail('a', 'b')]], ['private', [...stage('p', 'private', 'P'), ...stage('q', 'private', 'P'), ...tail('p', 'q')]]] as const) {
    const b = await d.docker(['build', '-t', `sharing-${name}`, context(`sharing-${name}`, { Dockerfile: lines.join('\n') })]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
  }
  const caches = await buildCache();
  const locked = caches.filter((c) => c.Description.includes('(id L)'));
  assert.equal(locked.length, 1);
  // The locked steps wrote one after the other: each start is followed by its own end.
  const dir = join(cacheRoot(), locked[0]?.ID ?? '', 'data');
  const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
  assert.equal(log.length, 4);
  assert.equal(log[0]?.replace('-start', ''), log[1]?.replace('-end', ''), log.join(','));
  assert.equal(log[2]?.replace('-start', ''), log[3]?.replace('-end', ''), log.join(','));
  // Private: p and q ran at the same time (the stages are independent), so they had a directory each.
  assert.equal(caches.filter((c) => c.Description.includes('(id P)')).length, 2, JSON.stringify(caches));
  await d.docker(['builder', 'prune', '-f']);
});

test('RUN --mount=type=bind from the context, a stage and an image (rw changes discarded), and type=tmpfs', async () => {
  const ctx = context('bind', {
    Dockerfile: [
      'FROM busybox AS tools',
      'RUN mkdir /out && echo from-stage > /out/tool',
      'FROM busybox',
      'RUN --mount=target=/src cat /src/data/input > /from-context && ls /src > /listing',
      'RUN --mount=type=bind,from=tools,source=/out,target=/tools cat /tools/tool > /from-stage',
      'RUN --mount=type=bind,from=busybox,source=/bin,target=/bb test -x /bb/busybox && echo image > /from-image',
      'RUN --mount=type=bind,source=data,target=/data,rw echo changed > /data/input && cat /data/input > /rw-seen',
      'RUN --mount=type=bind,source=data,target=/data (echo x > /data/new) 2>/ro-error; echo $? >> /ro-error',
      'RUN --mount=type=cache,target=/src/deps,id=deps --mount=target=/src,rw echo kept > /src/deps/d && cat /src/data/input /src/deps/d > /nested',
      'RUN --mount=type=tmpfs,target=/scratch,size=1m echo in-tmpfs > /scratch/f && df -k /scratch | tail -1 | awk \'{print $2}\' > /tmpfs-size && cat /scratch/f >> /tmpfs-size',
      'CMD ["sh", "-c", "cat /from-context /from-stage /from-image /rw-seen /nested /tmpfs-size; tail -1 /ro-error; test -e /src || test -e /tools || test -e /scratch || echo no-mount-points"]',
    ].join('\n'),
    'data/input': 'context file\n',
  });
  const b = await d.docker(['build', '-t', 'binds', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.equal((await d.docker(['run', '--rm', 'binds'])).stdout, 'context file\nfrom-stage\nimage\nchanged\ncontext file\nkept\n1024\nin-tmpfs\n1\nno-mount-points\n');
  // The rw bind wrote to a copy: the context file is unchanged (a rebuild of that step is cached).
  const again = await d.docker(['build', '-t', 'binds', ctx]);
  assert.doesNotMatch(again.stdout, /Running in/);
  // A change of the bound context file is a new step.
  writeTree(ctx, { 'data/input': 'changed context\n' });
  const changed = await d.docker(['build', '-t', 'binds', ctx]);
  assert.equal(changed.code, 0, changed.stderr + changed.stdout);
  assert.match((await d.docker(['run', '--rm', 'binds'])).stdout, /^changed context\n/);
});

test('bad --mount: unknown type and option named with the line, a source outside the context, a missing stage', async () => {
  const cases: [string, RegExp][] = [
    ['RUN --mount=type=nfs,target=/x true', /unsupported mount type "nfs"/],
    ['RUN --mount=type=cache,target=/x,colour=red true', /unknown mount option "colour"/],
    ['RUN --mount=type=tmpfs,target=/x,from=y true', /"from" does not apply to type=tmpfs/],
    ['RUN --mount=type=cache true', /type=cache needs a target/],
  ];
  for (const [line, want] of cases) {
    const ctx = context('bad', { Dockerfile: `FROM busybox\n${line}\n` });
    const r = await d.docker(['build', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, want);
    assert.match(r.stderr, /line 2/);
  }
  const out = await d.docker(['build', context('outside', { Dockerfile: 'FROM busybox\nRUN --mount=source=../..,target=/x true\n' })]);
  assert.match(out.stderr, /Dockerfile:2[\s\S]*outside the build context/);
  const nested = await d.docker(['build', context('nested', { Dockerfile: 'FROM busybox\nRUN --mount=target=/src --mount=type=tmpfs,target=/src/tmp true\n' })]);
  assert.match(nested.stderr, /Dockerfile:2[\s\S]*cannot mount \/src\/tmp: it is inside the read-only mount at \/src, which has no tmp/);
  assert.doesNotMatch(nested.stderr, new RegExp(d.dataRoot));
  const missing = await d.docker(['build', context('nostage', { Dockerfile: 'FROM busybox\nRUN --mount=from=nowhere,target=/x true\n' })]);
  assert.match(missing.stderr, /no build stage and no image is named "nowhere"/);
  assert.ok(!existsSync(join(cacheRoot(), '.new-')));
  // A failing step with mounts leaves no container behind (and TestDaemon.cleanup finds no mount).
  const fails = await d.docker(['build', context('failing', { Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t false\n' })]);
  assert.notEqual(fails.code, 0);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});

test('RUN --security=insecure needs --allow security.insecure; then the step is privileged', async () => {
  const ctx = context('insecure', { Dockerfile: 'FROM busybox\nRUN --security=insecure grep CapEff /proc/self/status > /caps\nCMD ["cat", "/caps"]\n' });
  const refused = await d.berth(['build', '--progress=plain', ctx]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /RUN --security=insecure needs the security.insecure entitlement/);
  const ok = await d.berth(['build', '--progress=plain', '--allow', 'security.insecure', '-t', 'insecure', ctx]);
  assert.equal(ok.code, 0, ok.stderr);
  // CAP_SYS_ADMIN (bit 21), which a sandboxed step never has.
  const sysAdmin = (text: string): boolean => (BigInt(`0x${/^CapEff:\s+([0-9a-f]+)\n$/.exec(text)?.[1] ?? '0'}`) & (1n << 21n)) !== 0n;
  assert.ok(sysAdmin((await d.berth(['run', '--rm', 'insecure'])).stdout));
  // The same grant for RUN --network=host in a build not started on the host network.
  const host = context('hostnet', { Dockerfile: 'FROM busybox\nRUN --network=host true\n' });
  assert.match((await d.berth(['build', '--progress=plain', host])).stderr, /needs the network.host entitlement/);
  const granted = await d.berth(['build', '--progress=plain', '--allow', 'network.host', host]);
  assert.equal(granted.code, 0, granted.stderr);
  assert.match((await d.berth(['build', '--allow', 'everything', host])).stderr, /invalid entitlement "everything"/);
  const sandbox = await d.berth(['build', '--progress=plain', '-t', 'sandboxed', context('sandbox', { Dockerfile: 'FROM busybox\nRUN --security=sandbox grep CapEff /proc/self/status > /caps\nCMD ["cat", "/caps"]\n' })]);
  assert.equal(sandbox.code, 0, sandbox.stderr);
  const caps = (await d.berth(['run', '--rm', 'sandboxed'])).stdout;
  assert.match(caps, /^CapEff:\s+[0-9a-f]+\n$/);
  assert.ok(!sysAdmin(caps), caps);
});
