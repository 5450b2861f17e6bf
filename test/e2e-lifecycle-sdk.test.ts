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

  const paused = (await d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '60'])).stdout.trim();
  ok(await d.docker(['pause', paused]), 'pause');
  ok(await d.docker(['kill', paused]), 'kill of a paused container');
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}', paused])).stdout.trim(), 'exited 137 false');
  ok(await d.docker(['rm', paused]), 'rm');
});

test('docker-py commit: of a running container (pausing it), 5 in a row and 5 at once; of a paused and a stopped one', async () => {
  const seen = await python(
    'commit.py',
    `
from concurrent.futures import ThreadPoolExecutor
ct = c.containers.run('busybox', ['sh', '-c', 'echo snap > /made; sleep 60'], detach=True, network_mode='none')
import time
for _ in range(50):
    if ct.exec_run(['cat', '/made']).exit_code == 0:
        break
    time.sleep(0.1)
ids = [ct.commit('snap', 'seq%d' % i).id for i in range(5)]
print('seq=%d' % len([i for i in ids if i.startswith('sha256:')]))
def one(i):
    try:
        return c.api.commit(ct.id, repository='snap', tag='par%d' % (i % 2))['Id']
    except docker.errors.APIError as e:
        return 'error %d %s' % (e.status_code, e.explanation)
with ThreadPoolExecutor(5) as pool:
    par = list(pool.map(one, range(5)))
print('par=' + ','.join('ok' if p.startswith('sha256:') else p for p in par))
ct.reload()
print('after=%s %s' % (ct.status, ct.attrs['State']['Paused']))
print('made=' + c.containers.run('snap:par1', ['cat', '/made'], remove=True, network_mode='none').decode().strip())
ct.pause()
ct.commit('snap', 'paused')
ct.reload()
print('paused_after=' + ct.status)
ct.unpause()
ct.stop(timeout=0)
ct.commit('snap', 'stopped')
ct.reload()
print('stopped_after=' + ct.status)
print('stopped_made=' + c.containers.run('snap:stopped', ['cat', '/made'], remove=True, network_mode='none').decode().strip())
ct.remove()
for i in c.images.list('snap'):
    c.images.remove(i.id, force=True)
`,
  );
  assert.equal(seen.get('seq'), '5', 'five commits in a row, each an image');
  assert.equal(seen.get('par'), 'ok,ok,ok,ok,ok');
  assert.equal(seen.get('after'), 'running False', 'the container runs on, unpaused');
  assert.equal(seen.get('made'), 'snap');
  assert.equal(seen.get('paused_after'), 'paused', 'a paused container stays paused');
  assert.equal(seen.get('stopped_after'), 'exited');
  assert.equal(seen.get('stopped_made'), 'snap');
});

test('docker-py container prune: label, label! and until filters; the removed IDs and the real space of their layers', async () => {
  const seen = await python(
    'prune-containers.py',
    `
kept = c.containers.run('busybox', ['true'], detach=True, network_mode='none', labels={'keep': '1'})
big = c.containers.run('busybox', ['dd', 'if=/dev/zero', 'of=/big', 'bs=1024', 'count=100'], detach=True, network_mode='none', labels={'x': 'y'})
other = c.containers.create('busybox', ['true'], network_mode='none', labels={'x': 'z'})
live = c.containers.run('busybox', ['sleep', '60'], detach=True, network_mode='none', labels={'x': 'y'})
for ct in (kept, big):
    ct.wait()
size = [x.get('SizeRw') for x in c.api.containers(all=True, size=True) if x['Id'] == big.id][0]
print('size=%s' % size)
r = c.containers.prune(filters={'until': '2000-01-01T00:00:00Z'})
print('old=%s' % r['ContainersDeleted'])
r = c.containers.prune(filters={'until': '10m'})
print('ten_minutes=%s' % r['ContainersDeleted'])
r = c.containers.prune(filters={'until': '0.5h'})
print('half_hour=%s' % r['ContainersDeleted'])
r = c.containers.prune(filters={'label': 'x=y'})
print('xy=%s %s' % (r['ContainersDeleted'] == [big.id], r['SpaceReclaimed']))
r = c.containers.prune(filters={'label!': 'keep'})
print('not_keep=%s %s' % (r['ContainersDeleted'] == [other.id], r['SpaceReclaimed']))
r = c.containers.prune()
print('rest=%s' % (r['ContainersDeleted'] == [kept.id]))
print('left=%s' % ','.join(x.id == live.id and 'live' or x.id for x in c.containers.list(all=True)))
live.remove(force=True)
`,
  );
  const size = Number(seen.get('size'));
  assert.ok(size >= 100 * 1024, `SizeRw of a container that wrote 100 KiB: ${seen.get('size')}`);
  assert.equal(seen.get('old'), 'None', 'until in the past: nothing is old enough');
  assert.equal(seen.get('ten_minutes'), 'None');
  assert.equal(seen.get('half_hour'), 'None', 'a Go duration with a fraction');
  assert.equal(seen.get('xy'), `True ${size}`, 'the removed container and the bytes of its writable layer');
  assert.equal(seen.get('not_keep'), 'True 0');
  assert.equal(seen.get('rest'), 'True');
  assert.equal(seen.get('left'), 'live', 'a running container is never pruned');
});

test('volume prune: API 1.41 removes every unused volume, 1.42+ anonymous ones unless all=true; label filters', async () => {
  const seen = await python(
    'prune-volumes.py',
    `
def setup(tag):
    c.volumes.create('named-' + tag, labels={'tier': tag})
    ct = c.containers.create('busybox', ['true'], network_mode='none', volumes=['/anon'])
    anon = [m['Name'] for m in c.api.inspect_container(ct.id)['Mounts']][0]
    ct.remove()
    used = c.containers.create('busybox', ['true'], network_mode='none', volumes={'used-' + tag: {'bind': '/u', 'mode': 'rw'}})
    return anon, used
old = docker.from_env(version='1.41')
anon, used = setup('a')
r = old.volumes.prune()
print('v141=%s' % (sorted(r['VolumesDeleted']) == sorted([anon, 'named-a'])))
used.remove()
c.volumes.get('used-a').remove()
anon, used = setup('b')
r = c.volumes.prune()
print('v143=%s %s' % (r['VolumesDeleted'] == [anon], r['SpaceReclaimed']))
r = c.volumes.prune(filters={'all': 'true', 'label': 'tier=c'})
print('label_other=%s' % r['VolumesDeleted'])
r = c.volumes.prune(filters={'all': 'true', 'label!': 'tier=b'})
print('not_b=%s' % r['VolumesDeleted'])
r = c.volumes.prune(filters={'all': 'true', 'label': 'tier=b'})
print('all_b=%s' % r['VolumesDeleted'])
used.remove(v=True)
c.volumes.get('used-b').remove()
print('left=%s' % ','.join(v.name for v in c.volumes.list()))
`,
  );
  assert.equal(seen.get('v141'), 'True', 'before 1.42: named and anonymous, not the one in use');
  assert.equal(seen.get('v143'), 'True 0', 'from 1.42: only the anonymous one');
  assert.equal(seen.get('label_other'), '[]');
  assert.equal(seen.get('not_b'), '[]');
  assert.equal(seen.get('all_b'), "['named-b']");
  assert.equal(seen.get('left'), '');

  ok(await d.docker(['volume', 'create', 'cli-named']), 'volume create');
  ok(await d.docker(['run', '--rm=false', '--name', 'anon-maker', '-v', '/anon', '--network', 'none', 'busybox', 'true']), 'run');
  ok(await d.docker(['rm', 'anon-maker']), 'rm');
  const p = await d.docker(['volume', 'prune', '-f']);
  ok(p, 'volume prune');
  assert.match(p.stdout, /Deleted Volumes:\n[0-9a-f]{64}\n/);
  assert.equal((await d.docker(['volume', 'ls', '-q'])).stdout, 'cli-named\n');
  const all = await d.docker(['volume', 'prune', '-f', '--all']);
  ok(all, 'volume prune --all');
  assert.match(all.stdout, /Deleted Volumes:\ncli-named\n/);
});

test('docker-py network prune: unused user networks only, with until and label filters', async () => {
  const seen = await python(
    'prune-networks.py',
    `
a = c.networks.create('pn-a', labels={'team': 'a'})
b = c.networks.create('pn-b', labels={'team': 'b'})
u = c.networks.create('pn-used')
ct = c.containers.run('busybox', ['sleep', '60'], detach=True, network='pn-used')
r = c.networks.prune(filters={'until': '2000-01-01T00:00:00Z'})
print('old=%s' % r['NetworksDeleted'])
r = c.networks.prune(filters={'label': 'team=a'})
print('team_a=%s' % r['NetworksDeleted'])
r = c.networks.prune(filters={'label!': 'team=b'})
print('not_b=%s' % r['NetworksDeleted'])
r = c.networks.prune()
print('rest=%s' % r['NetworksDeleted'])
print('left=%s' % ','.join(sorted(n.name for n in c.networks.list())))
ct.remove(force=True)
r = c.networks.prune()
print('after=%s' % r['NetworksDeleted'])
`,
  );
  assert.equal(seen.get('old'), 'None');
  assert.equal(seen.get('team_a'), "['pn-a']");
  assert.equal(seen.get('not_b'), 'None', 'pn-b is held back by label!, pn-used by its container');
  assert.equal(seen.get('rest'), "['pn-b']");
  assert.equal(seen.get('left'), 'bridge,host,none,pn-used', 'the predefined networks stay');
  assert.equal(seen.get('after'), "['pn-used']");
});

test('listing containers while others are created, started and force-removed always answers 200', async () => {
  let stop = false;
  const statuses = new Map<number, number>();
  let bad = '';
  const lister = async (path: string): Promise<void> => {
    while (!stop) {
      const r = await d.api('GET', path);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status !== 200 && !bad) bad = `${path}: ${r.status} ${r.body}`;
    }
  };
  const filters = encodeURIComponent(JSON.stringify({ label: ['churn'], status: ['running', 'created', 'exited'] }));
  const listers = [lister('/containers/json?all=1'), lister('/containers/json?all=1&size=1'), lister(`/containers/json?all=1&size=1&filters=${filters}`)];
  const churn = async (n: number): Promise<void> => {
    for (let i = 0; i < 4; i++) {
      const name = `churn-${n}-${i}`;
      ok(await d.docker(['create', '--name', name, '--label', 'churn', '--network', 'none', 'busybox', 'sh', '-c', 'echo x > /f; sleep 30']), 'create');
      ok(await d.docker(['start', name]), 'start');
      ok(await d.docker(['rm', '-f', name]), 'rm -f');
    }
  };
  try {
    await Promise.all([churn(0), churn(1), churn(2)]);
  } finally {
    stop = true;
    await Promise.all(listers);
  }
  assert.equal(bad, '', 'the first answer that was not 200');
  assert.ok((statuses.get(200) ?? 0) > 20, `lists made: ${JSON.stringify([...statuses])}`);
});

test('docker-py lists (with sizes and filters) in threads while other threads run and remove containers', async () => {
  const seen = await python(
    'list-churn.py',
    `
import threading
errors = []
counts = [0]
done = threading.Event()
def lister(kwargs):
    while not done.is_set():
        try:
            c.containers.list(all=True, ignore_removed=True, **kwargs)
            c.api.containers(all=True, size=True)
            counts[0] += 1
        except docker.errors.APIError as e:
            errors.append('%d %s' % (e.status_code, e.explanation))
def churn(n):
    for i in range(4):
        try:
            ct = c.containers.run('busybox', ['sleep', '30'], detach=True, network_mode='none', labels={'churn': str(n)})
            ct.remove(force=True)
            c.containers.create('busybox', ['true'], network_mode='none').remove()
        except docker.errors.APIError as e:
            errors.append('churn %d %s' % (e.status_code, e.explanation))
listers = [threading.Thread(target=lister, args=(k,)) for k in ({}, {'filters': {'label': 'churn'}}, {'filters': {'status': 'running'}})]
churners = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
for t in listers + churners:
    t.start()
for t in churners:
    t.join()
done.set()
for t in listers:
    t.join()
print('errors=' + '|'.join(errors[:3]))
print('lists=%d' % counts[0])
`,
  );
  assert.equal(seen.get('errors'), '');
  assert.ok(Number(seen.get('lists')) > 10, `lists made: ${seen.get('lists')}`);
});
