import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, BERTHD, leftoverMounts } from './helpers/daemon.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) {
    const pid = Number((await readFile(join(dir, 'run/berthd.pid'), 'utf8').catch(() => '0')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await leftoverMounts(dir), []);
    await rm(dir, { recursive: true, force: true });
  }
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(BERTH, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('berth starts berthd in the background when none answers, logging to a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-auto-'));
  dirs.push(dir);
  const env = { BERTH_HOST: `unix://${dir}/berth.sock`, BERTH_DATA_ROOT: join(dir, 'data'), BERTH_EXEC_ROOT: join(dir, 'run'), DOCKER_HOST: '' };
  const r = await run(['version', '--format', '{{.Server.APIVersion}}'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1.47');
  assert.ok(existsSync(join(dir, 'berthd.log')), 'berthd logs to a file beside its socket');
  assert.ok(existsSync(join(dir, 'data', 'berth.db')), 'the daemon used the data root from the environment');
  // A second command finds the running daemon instead of starting another.
  const pid1 = (await readFile(join(dir, 'run/berthd.pid'), 'utf8')).trim();
  // The autostarted daemon runs with the Node options of bin/berthd's own #! line, as a hand-started one does.
  const shebang = (await readFile(BERTHD, 'utf8')).split('\n', 1)[0] ?? '';
  const wanted = shebang.split(/\s+/).filter((w) => w.startsWith('--'));
  assert.ok(wanted.length > 0, `bin/berthd sets Node options: ${shebang}`);
  const argv = (await readFile(`/proc/${pid1}/cmdline`, 'utf8')).split('\0');
  for (const opt of wanted) assert.ok(argv.includes(opt), `autostarted berthd runs with ${opt}: ${argv.join(' ')}`);
  const r2 = await run(['ps', '-q'], env);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal((await readFile(join(dir, 'run/berthd.pid'), 'utf8')).trim(), pid1);
});
