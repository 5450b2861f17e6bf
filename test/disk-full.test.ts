import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { storeFaults } from './helpers/crash.js';
import { bytesUnder, diskFullErrorFaults, fillTo, mountSmall, unfill, unmountSmall } from './helpers/disk-full.js';
import { startRegistry } from './remotes-helpers.js';

/*
 * A data root on a 120 MB tmpfs, filled (by a filler file) during pull, load, commit, build,
 * a container's own writes and exec: each fails with "no space left on device" in words (what was
 * being written, no errno, no data-root path), nothing half-written is listed, what the failed
 * operation stored is given back, the store check finds nothing, and once the filler is removed the
 * same operation works. Prints the cases tried and the faults found.
 */
const MB = 1_000_000;

test('a full disk gives a clear error, leaves nothing behind, and the next try works', { timeout: 10 * 60_000 }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const d = await TestDaemon.start({ beforeSpawn: async (x) => mountSmall(x.dataRoot, 120) });
  t.after(async () => {
    unfill(d.dataRoot);
    for (const id of (await d.berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean)) await d.berth(['rm', '-f', id]);
    await d.stopDaemon();
    unmountSmall(d.dataRoot);
    await d.cleanup();
  });
  await d.makeBusyboxImage();
  const root = d.dataRoot;
  const faults: string[] = [];
  let cases = 0;
  let corruptions = 0;
  const ok = async (args: string[]): Promise<string> => {
    const r = await d.berth(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const listed = async (ref: string): Promise<boolean> => (await d.berth(['image', 'inspect', ref])).code === 0;

  // What the cases use, made while there is room: a 16 MB image in the registry and in an archive.
  const ctx = join(d.dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN head -c 16000000 /dev/urandom > /big\n');
  const big = `${reg.host}/df/big:1`;
  await ok(['build', '-q', '-t', big, ctx]);
  await ok(['push', big]);
  await ok(['rmi', big]);
  // The load's archive: layers of its own, so nothing of it is in the store when it is loaded.
  await ok(['build', '-q', '--no-cache', '-t', 'df/loadme:1', ctx]);
  await ok(['save', '-o', join(d.dir, 'big.tar'), 'df/loadme:1']);
  await ok(['rmi', 'df/loadme:1']);
  await ok(['run', '--name', 'src', '--network', 'none', 'busybox', 'sh', '-c', 'head -c 16000000 /dev/urandom > /data']);
  await ok(['run', '-d', '--name', 'sleeper', '--network', 'none', 'busybox', 'sleep', '1000']);

  /**
   * One case: fill to leave `leave` bytes, run the operation, judge its error and what it left,
   * free the space, check the store, and run `retry` (the same operation) once more.
   */
  const tryCase = async (what: string, leave: number, run: () => Promise<import('./helpers/daemon.js').RunResult>, visible: () => Promise<boolean>, retry: () => Promise<void>, words = true): Promise<void> => {
    cases++;
    const before = bytesUnder(join(root, 'blobs')) + bytesUnder(join(root, 'layers'));
    fillTo(root, leave);
    const r = await run();
    // A container's own write error goes to its log, on the same full disk: only its failure is judged.
    const errs = words ? diskFullErrorFaults(d, r, what) : r.code === 0 ? [`${what} succeeded on a full disk`] : [];
    if (await visible()) errs.push(`${what}: a half-written result is listed after the failure`);
    unfill(root);
    // What the failed operation stored is given back (a pull's partial download may stay, leased, for a resume).
    const grown = bytesUnder(join(root, 'blobs')) + bytesUnder(join(root, 'layers')) - before;
    if (what !== 'pull' && grown > 2 * MB) errs.push(`${what}: the failed operation left ${(grown / MB).toFixed(1)} MB in the store`);
    // An exit the full disk kept from the store is written within a second or two of the space coming back.
    let store = await storeFaults(d);
    for (let i = 0; i < 50 && store.length; i++) {
      await new Promise((res) => setTimeout(res, 100));
      store = await storeFaults(d);
    }
    corruptions += store.length;
    errs.push(...store.map((f) => `${what}: store check: ${f}`));
    try {
      await retry();
    } catch (e) {
      errs.push(`${what}: after freeing space the retry fails: ${(e as Error).message}`);
    }
    for (const e of errs) console.log(`  FAULT ${e}`);
    if (!errs.length) console.log(`  ${what}: clear error, nothing left, retry works`);
    faults.push(...errs);
  };

  await tryCase('pull', 4 * MB, () => d.berth(['pull', big], { timeoutMs: 120_000 }), () => listed(big), async () => {
    await ok(['pull', big]);
    await ok(['rmi', big]);
  });
  await tryCase('load', 4 * MB, () => d.berth(['load', '-i', join(d.dir, 'big.tar')], { timeoutMs: 120_000 }), () => listed('df/loadme:1'), async () => {
    await ok(['load', '-i', join(d.dir, 'big.tar')]);
    await ok(['rmi', 'df/loadme:1']);
  });
  await tryCase('commit', 4 * MB, () => d.berth(['commit', 'src', 'df/commit:1'], { timeoutMs: 120_000 }), () => listed('df/commit:1'), async () => {
    await ok(['commit', 'src', 'df/commit:1']);
    await ok(['rmi', 'df/commit:1']);
  });
  const bctx = join(d.dir, 'bctx');
  mkdirSync(bctx);
  writeFileSync(join(bctx, 'Dockerfile'), 'FROM busybox\nRUN head -c 8000000 /dev/urandom > /eight\n');
  await tryCase('build', 12 * MB, () => d.berth(['build', '--no-cache', '-t', 'df/build:1', bctx], { timeoutMs: 120_000 }), () => listed('df/build:1'), async () => {
    await ok(['build', '-q', '--no-cache', '-t', 'df/build:1', bctx]);
    await ok(['rmi', 'df/build:1']);
  });
  // A container's own write: the container sees ENOSPC and says so (busybox cat names the errno,
  // head does not), its words reach the attached client and its log through the log's reserve.
  await tryCase('container write', 4 * MB, () => d.berth(['run', '--name', 'writer', '--network', 'none', 'busybox', 'sh', '-c', 'cat /dev/zero > /f']), async () => false, async () => {
    const logs = await d.berth(['logs', 'writer']);
    assert.match(logs.stderr, /No space left on device/, `the container's error is not in its log: ${logs.stdout}${logs.stderr}`);
    await ok(['rm', '-f', 'writer']);
    await ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'head -c 1000000 /dev/zero > /f']);
  });
  await tryCase('exec', 0, () => d.berth(['exec', 'sleeper', 'true']), async () => false, async () => void (await ok(['exec', 'sleeper', 'true'])));

  await ok(['rm', '-f', 'src', 'sleeper']);
  for (const f of await storeFaults(d)) faults.push(`at the end: store check: ${f}`);
  console.log(`RELIABILITY disk-full ${JSON.stringify({ cases, faults: faults.length, corruptions })}`);
  console.log(`disk full: ${cases} cases, ${faults.length} faults, ${corruptions} corruptions`);
  assert.deepEqual(faults, []);
});
