import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers/daemon.js';
import { DOCKER_RUN_FLAGS, probeCreate, runFlagStatus } from '../src/server/engine/surface.js';

const script = join(REPO, 'scripts/flags-table.mjs');

test("README's Docker compatibility table is the one the code generates (node scripts/flags-table.mjs --write)", () => {
  const r = spawnSync('node', [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the check fails on a README whose table differs from the code', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-flags-table-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const row = /\| `--cpu-count` \|[^\n]*\n/.exec(readme);
  assert.ok(row, 'the table has a row for --cpu-count');
  await writeFile(join(dir, 'README.md'), readme.replace(row[0], '| `--cpu-count` | HostConfig.CpuCount | done | yes |\n'));
  const r = spawnSync('node', [script, '--check', join(dir, 'README.md')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not what the code gives/);
});

test("the table's Docker flags are the installed docker CLI's `run` flags", () => {
  const help = execFileSync('docker', ['run', '--help'], { encoding: 'utf8' });
  const docker = [...help.matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]);
  assert.deepEqual(DOCKER_RUN_FLAGS.map((f) => f.flag), docker);
});

test("a flag's status is the dialect's own answer to the body the docker CLI sends", () => {
  assert.equal(probeCreate({ HostConfig: { Privileged: true } }), undefined);
  assert.match(probeCreate({ HostConfig: { CpuCount: 2 } }) ?? '', /CpuCount is a Windows option/);
  const rt = DOCKER_RUN_FLAGS.find((f) => f.flag === 'cpu-count');
  assert.ok(rt);
  assert.match(runFlagStatus(rt), /^refused: .*Windows/);
  const detach = DOCKER_RUN_FLAGS.find((f) => f.flag === 'detach');
  assert.ok(detach);
  assert.equal(runFlagStatus(detach), 'client side');
});
