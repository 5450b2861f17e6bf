import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BERTH, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

interface Df {
  LayersSize: number;
  Images: { Id: string }[] | null;
  Containers: { Id: string; SizeRw: number }[] | null;
  Volumes: { Name: string }[] | null;
  BuildCache: unknown[] | null;
}

test('GET /system/df?type= answers only the parts asked (from API 1.42), and refuses an unknown type', async () => {
  const id = (await d.docker(['create', 'busybox', 'true'])).stdout.trim();
  assert.equal((await d.docker(['volume', 'create', 'dfvol'])).code, 0);
  const all = (await d.api('GET', '/v1.43/system/df')).json as Df;
  assert.ok(all.Images?.length && all.Containers?.some((c) => c.Id === id) && all.Volumes?.some((v) => v.Name === 'dfvol'));
  assert.ok(all.LayersSize > 0);

  const onlyContainers = (await d.api('GET', '/v1.43/system/df?type=container')).json as Df;
  assert.equal(onlyContainers.Images, null);
  assert.equal(onlyContainers.Volumes, null);
  assert.equal(onlyContainers.BuildCache, null);
  assert.equal(onlyContainers.LayersSize, 0);
  assert.ok(onlyContainers.Containers?.some((c) => c.Id === id && typeof c.SizeRw === 'number'));

  const two = (await d.api('GET', '/v1.43/system/df?type=image&type=volume')).json as Df;
  assert.equal(two.Containers, null);
  assert.equal(two.BuildCache, null);
  assert.deepEqual(two.Images?.map((i) => i.Id), all.Images?.map((i) => i.Id));
  assert.equal(two.LayersSize, all.LayersSize);
  assert.ok(two.Volumes?.some((v) => v.Name === 'dfvol'));

  const cache = (await d.api('GET', '/v1.43/system/df?type=build-cache')).json as Df;
  assert.deepEqual(cache.BuildCache, []);
  assert.equal(cache.Images, null);

  // Before 1.42 dockerd ignored type and answered everything.
  const old = (await d.api('GET', '/v1.41/system/df?type=volume')).json as Df;
  assert.ok(old.Images?.length && old.Containers?.length);

  // The docker CLI 28 (API 1.47) reads the whole answer.
  const cli = await d.docker(['system', 'df', '--format', '{{.Type}}']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout, 'Images\nContainers\nLocal Volumes\nBuild Cache\n');
  const verbose = await d.docker(['system', 'df', '-v']);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stdout, /dfvol/);

  const bad = await d.api('GET', '/v1.43/system/df?type=volumes');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /unknown object type: volumes/);
  await d.docker(['rm', id]);
  await d.docker(['volume', 'rm', 'dfvol']);
});

for (const cli of ['docker', 'berth'] as const) {
  test(`${cli} save a b (GET /images/get with several names) writes one archive that loads both`, async () => {
    const run = (args: string[]): ReturnType<TestDaemon['docker']> => (cli === 'docker' ? d.docker(args) : d.berth(args));
    assert.equal((await run(['tag', 'busybox', `save-${cli}-a:1`])).code, 0);
    const c = (await run(['create', 'busybox', 'sh'])).stdout.trim();
    assert.equal((await run(['commit', c, `save-${cli}-b:2`])).code, 0);
    const archive = join(d.dir, `two-${cli}.tar`);
    const s = await run(['save', '-o', archive, `save-${cli}-a:1`, `save-${cli}-b:2`]);
    assert.equal(s.code, 0, s.stderr);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' })) as { RepoTags: string[] }[];
    assert.deepEqual(manifest.flatMap((m) => m.RepoTags).sort(), [`save-${cli}-a:1`, `save-${cli}-b:2`]);
    assert.equal((await run(['rmi', `save-${cli}-a:1`, `save-${cli}-b:2`])).code, 0);
    const l = await run(['load', '-i', archive]);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, new RegExp(`Loaded image: save-${cli}-a:1`));
    assert.match(l.stdout, new RegExp(`Loaded image: save-${cli}-b:2`));
    const missing = await run(['save', '-o', join(d.dir, 'none.tar'), `save-${cli}-a:1`, 'no-such-image:9']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-image/);
    await run(['rm', c]);
  });
}

/** A command at a terminal of rows x cols (util-linux `script` gives it a pty); its whole output. */
function atTerminal(command: string, rows: number, cols: number, input: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('script', ['-eqfc', `stty rows ${rows} cols ${cols}; exec ${command}`, '/dev/null'], { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    p.stdout.on('data', (b: Buffer) => (screen += b.toString('latin1')));
    p.stderr.on('data', (b: Buffer) => (screen += b.toString('latin1')));
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve(screen);
    });
    setTimeout(() => p.stdin.write(input), 700);
  });
}

for (const cli of ['docker', BERTH]) {
  const label = cli === 'docker' ? 'docker' : 'berth';
  test(`${label} run -it and start -ai size the container's TTY to the terminal (POST /containers/{id}/resize)`, async () => {
    const name = `sized-${label}`;
    const first = await atTerminal(`${cli} run -it --name ${name} busybox sh`, 31, 97, 'stty size; exit 3\r');
    assert.match(first, /31 97/);
    const again = await atTerminal(`${cli} start -ai ${name}`, 22, 66, 'stty size; exit 0\r');
    assert.match(again, /22 66/);
    assert.equal((await d.berth(['rm', name])).code, 0);
  });
}
