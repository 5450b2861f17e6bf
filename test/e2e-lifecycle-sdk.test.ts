import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * What SDK users meet in a container's life: kill, commit, prune and listing under load, driven by
 * docker-py (python3-docker 5.0.3 speaks API 1.41) and the docker CLI (28, negotiates 1.43+), each
 * checked against what dockerd answers.
 */
const PYTHON = '/usr/bin/python3';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** Runs a docker-py script; each `key=value` line it prints is returned. */
async function python(name: string, script: string): Promise<Map<string, string>> {
  const file = join(d.dir, name);
  await writeFile(file, `import docker\nc = docker.from_env()\n${script}`);
  const r = await d.run(PYTHON, [file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  const seen = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) seen.set(line.slice(0, i), line.slice(i + 1));
  }
  return seen;
}

const ok = (r: { code: number; stderr: string }, what = ''): void => assert.equal(r.code, 0, `${what} ${r.stderr}`);

test('docker-py kill: the next inspect sees the container exited with 137; a stopped one answers 409', async () => {
  const seen = await python(
    'kill.py',
    `
states = []
for i in range(4):
    ct = c.containers.run('busybox', ['sleep', '60'], detach=True, network_mode='none')
    ct.kill()
    ct.reload()
    states.append('%s:%d' % (ct.attrs['State']['Status'], ct.attrs['State']['ExitCode']))
    try:
        ct.kill()
    except docker.errors.APIError as e:
        print('again=%d %s' % (e.status_code, e.explanation == 'container %s is not running' % ct.id))
    ct.remove()
print('states=' + ','.join(states))
ct = c.containers.run('busybox', ['sh', '-c', 'trap "exit 3" USR1; while true; do sleep 0.1; done'], detach=True, network_mode='none')
ct.kill(signal='SIGUSR1')
print('usr1_wait=%d' % ct.wait(timeout=20)['StatusCode'])
ct.remove()
ct = c.containers.run('busybox', ['sleep', '60'], detach=True, network_mode='none', restart_policy={'Name': 'always'})
ct.kill()
ct.reload()
print('always=%s:%d' % (ct.attrs['State']['Status'], ct.attrs['State']['ExitCode']))
import time
time.sleep(1.5)
ct.reload()
print('always_later=%s:%d' % (ct.attrs['State']['Status'], ct.attrs['RestartCount']))
ct.remove(force=True)
`,
  );
  assert.equal(seen.get('states'), 'exited:137,exited:137,exited:137,exited:137');
  assert.equal(seen.get('again'), '409 True', "a second kill: Docker's 409 and words");
  assert.equal(seen.get('usr1_wait'), '3', 'another signal is delivered to the process');
  assert.equal(seen.get('always'), 'exited:137');
  assert.equal(seen.get('always_later'), 'exited:0', 'a killed container is not restarted by its policy');
});

test('docker CLI kill: inspect right after shows exited 137; -s with a bad signal is refused', async () => {
  const run = await d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '60']);
  ok(run, 'run');
  const id = run.stdout.trim();
  ok(await d.docker(['kill', id]), 'kill');
  const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', id]);
  assert.equal(st.stdout.trim(), 'exited 137 false');
  const bad = await d.docker(['kill', '-s', 'NOPE', id]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Invalid signal: NOPE/);
  ok(await d.docker(['rm', id]), 'rm');
});
