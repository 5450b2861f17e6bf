import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon, type RunResult } from './helpers/daemon.js';
import { badFailure, blobState, holdingsNow, leaks, tagManifest, uploadBlob, type Holdings } from './helpers/load.js';
import { registryCommand, startBerthRegistry } from './registry-servers.js';

/*
 * The load suite: LOAD_N containers started at once from three clients (berth CLI, docker CLI, the
 * Engine API), with --rm and without, on the default bridge and on a user network, each doing a
 * little work; LOAD_M concurrent execs into one container; LOAD_K clients following one container's
 * logs; then everything removed. Every operation succeeds or fails in words (no hang, no stack), and
 * berthd's descriptors and sockets and the host's mounts, cgroups, netns, veths, IP leases and
 * conmons are back where they were. Then `berth registry serve` under concurrent uploads to one
 * repository, some cut off half-way and resumed, and concurrent reads: no blob corrupt.
 * CI runs small counts; bench/reliability sets LOAD_N=100, LOAD_M=50, LOAD_K=20, LOAD_R=200.
 */
const N = Number(process.env['LOAD_N'] ?? 12);
const M = Number(process.env['LOAD_M'] ?? 8);
const K = Number(process.env['LOAD_K'] ?? 5);
const R = Number(process.env['LOAD_R'] ?? 24);

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const fmt = (h: Holdings): string => Object.entries(h).map(([k, v]) => `${k}=${v}`).join(' ');

test(`${N} concurrent containers, ${M} concurrent execs, ${K} log followers: no failure without words, nothing leaked`, { timeout: 15 * 60_000 }, async () => {
  // A first container warms what stays for the daemon's life (the bridge, the CNI cache, SQLite's pages).
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'true'])).code, 0);
  assert.equal((await d.berth(['network', 'create', 'loadnet'])).code, 0);
  assert.equal((await d.berth(['run', '--rm', '--network', 'loadnet', 'busybox', 'true'])).code, 0);
  const before = await holdingsNow(d);
  console.log(`before: ${fmt(before)}`);
  const faults: string[] = [];
  let ops = 0;
  const judge = (what: string, r: RunResult): void => {
    ops++;
    const bad = badFailure(r);
    if (bad) faults.push(`${what}: ${bad}: ${(r.stderr + r.stdout).trim().slice(0, 300)}`);
    else if (r.code !== 0) console.log(`  ${what} failed in words: ${r.stderr.trim().slice(0, 200)}`);
  };

  const jobs: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const rm = i % 2 === 0;
    const net = i % 3 === 0 ? 'loadnet' : 'bridge';
    const work = ['sh', '-c', `echo job ${i}; i=0; while [ $i -lt 200 ]; do i=$((i+1)); done; cat /etc/hostname >/dev/null`];
    const name = `load${i}`;
    const client = i % 3;
    if (client === 2) {
      jobs.push(
        (async () => {
          const c = await d.api('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: work, HostConfig: { AutoRemove: rm, NetworkMode: net } });
          const id = (c.json as { Id?: string } | null)?.Id;
          if (c.status !== 201 || !id) return judge(`API create ${name}`, { code: 1, stdout: '', stderr: c.body });
          d.seenIds.add(id);
          const s = await d.api('POST', `/containers/${id}/start`);
          judge(`API start ${name}`, { code: s.status === 204 ? 0 : 1, stdout: '', stderr: s.body });
          const w = await d.api('POST', `/containers/${id}/wait?condition=${rm ? 'removed' : 'not-running'}`);
          judge(`API wait ${name}`, { code: w.status === 200 && (w.json as { StatusCode?: number }).StatusCode === 0 ? 0 : 1, stdout: '', stderr: w.body });
        })(),
      );
    } else {
      const cli = client === 0 ? d.berth.bind(d) : d.docker.bind(d);
      const args = ['run', ...(rm ? ['--rm'] : []), '--name', name, '--network', net, 'busybox', ...work];
      jobs.push(cli(args, { timeoutMs: 240_000 }).then((r) => judge(`${client === 0 ? 'berth' : 'docker'} ${args.slice(0, 5).join(' ')}`, r)));
    }
  }
  await Promise.all(jobs);

  // Concurrent execs into one container, from both CLIs.
  assert.equal((await d.berth(['run', '-d', '--name', 'exectarget', 'busybox', 'sleep', '1000'])).code, 0);
  const execs = await Promise.all(Array.from({ length: M }, (_, i) => (i % 2 ? d.docker.bind(d) : d.berth.bind(d))(['exec', 'exectarget', 'sh', '-c', `echo exec${i}`], { timeoutMs: 120_000 })));
  execs.forEach((r, i) => {
    judge(`exec ${i}`, r);
    if (r.code === 0 && r.stdout.trim() !== `exec${i}`) faults.push(`exec ${i} printed ${JSON.stringify(r.stdout)}`);
  });

  // Followers of one container's logs: each sees every line and ends when the container does.
  assert.equal((await d.berth(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'sleep 1; for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; sleep 0.1; done'])).code, 0);
  const follows = await Promise.all(Array.from({ length: K }, (_, i) => (i % 2 ? d.docker.bind(d) : d.berth.bind(d))(['logs', '-f', 'talker'], { timeoutMs: 120_000 })));
  follows.forEach((r, i) => {
    judge(`logs -f ${i}`, r);
    const lines = r.stdout.split('\n').filter(Boolean);
    if (r.code === 0 && lines.length !== 10) faults.push(`logs -f ${i} saw ${lines.length} of 10 lines`);
  });

  // While the exec target and the talker still run: what berthd holds at work.
  const during = await holdingsNow(d);
  console.log(`during: ${fmt(during)}`);

  // Everything removed, at once.
  const all = (await d.berth(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  const removed = await Promise.all(all.map((id, i) => (i % 2 ? d.docker.bind(d) : d.berth.bind(d))(['rm', '-f', id], { timeoutMs: 120_000 })));
  removed.forEach((r, i) => judge(`rm -f ${i}`, r));
  assert.equal((await d.berth(['network', 'rm', 'loadnet'])).code, 0);
  assert.equal((await d.berth(['network', 'create', 'loadnet'])).code, 0);
  const after = await holdingsNow(d);
  assert.equal((await d.berth(['network', 'rm', 'loadnet'])).code, 0);
  console.log(`after:  ${fmt(after)}`);
  const leaked = leaks(before, after);
  console.log(`RELIABILITY load ${JSON.stringify({ operations: ops, faults: faults.length, leaks: leaked.length, before, during, after })}`);
  console.log(`load: ${ops} concurrent operations, ${faults.length} faults, ${leaked.length} leaks${leaked.length ? `: ${leaked.join('; ')}` : ''}`);
  assert.deepEqual(faults, []);
  assert.deepEqual(leaked, []);
});

test(`berth registry serve: ${R} concurrent uploads to one repository (a third cut off and resumed), reads and gc beside them: no corrupt blob`, { timeout: 10 * 60_000 }, async (t) => {
  const reg = await startBerthRegistry();
  t.after(() => reg.cleanup());
  const repo = 'load/shared';
  // One config for every image; each upload becomes a tagged image's layer, so gc has work to judge.
  const cfg = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const config = { digest: (await uploadBlob(reg.url, repo, 0, false, cfg)).digest, size: cfg.length };
  const done: string[] = [];
  const faults: string[] = [];
  let cuts = 0;
  let resumed = 0;
  const limit = 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < R) {
      const i = next++;
      const cut = i % 3 === 0;
      if (cut) cuts++;
      try {
        const size = 64 * 1024 + i * 997;
        const u = await uploadBlob(reg.url, repo, size, cut);
        if (u.resumed) resumed++;
        await tagManifest(reg.url, repo, `t${i}`, config, { digest: u.digest, size });
        done.push(u.digest);
        // A read of an earlier blob while others upload.
        const other = done[i % done.length];
        if (other && (await blobState(reg.url, repo, other)) !== 'ok') faults.push(`blob ${other} not whole while uploads go on`);
      } catch (e) {
        faults.push(`upload ${i}${cut ? ' (cut)' : ''}: ${(e as Error).message}`);
      }
    }
  };
  // gc runs beside the serving registry, twice, while the uploads go on.
  const gc = (async () => {
    for (let k = 0; k < 2; k++) {
      await new Promise((r) => setTimeout(r, 300));
      const g = await registryCommand(['gc', '--root', reg.root]);
      if (g.code !== 0) faults.push(`gc beside the uploads failed: ${g.stderr.trim().slice(0, 200)}`);
    }
  })();
  await Promise.all([...Array.from({ length: limit }, worker), gc]);
  for (const dg of [...done, config.digest]) {
    const s = await blobState(reg.url, repo, dg);
    if (s !== 'ok') faults.push(`blob ${dg} is ${s} after the uploads and gc`);
  }
  console.log(`RELIABILITY registry ${JSON.stringify({ uploads: R, cut: cuts, resumed, faults: faults.length })}`);
  console.log(`registry: ${R} concurrent uploads (${cuts} cut, ${resumed} resumed from where they stood), ${done.length} whole, ${faults.length} faults`);
  assert.deepEqual(faults, []);
  assert.equal(done.length, R);
  assert.ok(resumed > 0, `a cut upload goes on from the bytes the registry kept (${resumed} of ${cuts} did)`);
});
