import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from './helpers/daemon.js';
import { crashSuite } from './helpers/crash.js';
import { crashOps, prepareWorld } from './helpers/crash-ops.js';
import { startRegistry } from './remotes-helpers.js';

/*
 * The crash suite: every operation of helpers/crash-ops.ts is cut by a SIGKILL of berthd (or of
 * runc during create, or of conmon under a running container) at a seeded random moment; after the
 * restart the store check finds nothing, what the operation made is whole or absent, the retry
 * succeeds and a container that ran all along still runs. CI runs one kill per operation with small
 * images; bench/reliability runs CRASH_KILLS per operation (RELIABILITY_SCALE=large) with bigger ones.
 * CRASH_SEED replays a run.
 */
const kills = Number(process.env['CRASH_KILLS'] ?? 1);
const mb = Number(process.env['CRASH_MB'] ?? 4);
const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

test(`SIGKILL during each operation loses nothing (seed ${seed})`, { timeout: 30 * 60_000 }, async (t) => {
  console.log(`crash suite seed ${seed} (CRASH_SEED=${seed} replays it)`);
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());
  await d.makeBusyboxImage();
  const w = await prepareWorld(d, reg.host, mb);
  // CRASH_ONLY=pull,commit: only the operations whose names contain one of these.
  const only = (process.env['CRASH_ONLY'] ?? '').split(',').filter(Boolean);
  const ops = crashOps(w).filter((o) => !only.length || only.some((x) => o.name.includes(x)));
  const fig = await crashSuite(d, ops, kills, seed);
  console.log(`RELIABILITY crash ${JSON.stringify({ operations: fig.operations, killsPerOp: kills, kills: fig.kills, inFlight: fig.inFlight, faults: fig.faults.length, seed })}`);
  console.log(`crash: ${fig.operations} operations x ${kills} kill points = ${fig.kills} kills (${fig.inFlight} mid-operation), ${fig.faults.length} faults`);
  assert.deepEqual(fig.faults, []);
});
