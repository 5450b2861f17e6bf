import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from './daemon.js';
import { crashSuite, type CrashOp } from './crash.js';
import { containerCrashOps, imageCrashOps, prepareWorld } from './crash-ops.js';
import { startRegistry } from '../remotes-helpers.js';

/*
 * One crash test file's body: CRASH_KILLS kills per operation of one group (CI: 1), layers of
 * CRASH_MB (CI: 4), CRASH_SEED to replay, CRASH_ONLY=a,b to run only operations naming a or b.
 * Prints "RELIABILITY crash-<group> {...}" for bench/reliability's table.
 */
export function crashTest(group: 'images' | 'containers'): void {
  const kills = Number(process.env['CRASH_KILLS'] ?? 1);
  const mb = Number(process.env['CRASH_MB'] ?? 4);
  // The suite's own run takes fixed seeds; CRASH_SEED=random draws one, as bench/reliability does at scale.
  const fixed: Record<string, number> = { containers: 340962837, images: 1742526459 };
  const given = process.env['CRASH_SEED'];
  const seed = given && given !== 'random' ? Number(given) : given === 'random' ? Math.floor(Math.random() * 2 ** 31) : (fixed[group] ?? 1);
  test(`SIGKILL during each ${group} operation loses nothing (seed ${seed})`, { timeout: Math.max(10, kills * 3) * 60_000 }, async (t) => {
    console.log(`crash suite (${group}) seed ${seed} (CRASH_SEED=${seed} replays it)`);
    const d = await TestDaemon.start();
    t.after(() => d.cleanup());
    await d.makeBusyboxImage();
    let ops: CrashOp[];
    if (group === 'images') {
      const reg = await startRegistry();
      t.after(() => reg.stop());
      ops = imageCrashOps(await prepareWorld(d, reg.host, mb));
    } else {
      ops = containerCrashOps(d);
    }
    const only = (process.env['CRASH_ONLY'] ?? '').split(',').filter(Boolean);
    ops = ops.filter((o) => !only.length || only.some((x) => o.name.includes(x)));
    const fig = await crashSuite(d, ops, kills, seed);
    console.log(`RELIABILITY crash-${group} ${JSON.stringify({ operations: fig.operations, killsPerOp: kills, kills: fig.kills, inFlight: fig.inFlight, faults: fig.faults.length, seed })}`);
    console.log(`crash: ${fig.operations} ${group} operations x ${kills} kill points = ${fig.kills} kills (${fig.inFlight} mid-operation), ${fig.faults.length} faults`);
    assert.deepEqual(fig.faults, []);
  });
}
