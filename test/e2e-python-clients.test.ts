import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * The Python clients, unchanged: Debian's docker-py (python3-docker) and docker-compose 1.29,
 * which is built on it. Each script prints what it saw; the test checks those lines.
 */
const PYTHON = '/usr/bin/python3';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function python(name: string, script: string): Promise<Map<string, string>> {
  const file = join(d.dir, name);
  await writeFile(file, script);
  const r = await d.run(PYTHON, [file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  const seen = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) seen.set(line.slice(0, i), line.slice(i + 1));
  }
  return seen;
}

test('docker-py: run with output, detached run, exec_run, logs, wait, volumes, info, df', async () => {
  const seen = await python(
    'dockerpy.py',
    `
import docker
c = docker.from_env()
print('api=' + c.version()['ApiVersion'])
print('ping=' + str(c.ping()))
print('tags=' + ','.join(sorted(t for i in c.images.list() for t in i.tags)))
out = c.containers.run('busybox', ['sh', '-c', 'echo out-line; echo err-line >&2'], remove=True, network_mode='none')
print('run=' + out.decode().strip())
v = c.volumes.create('pyvol', labels={'k': 'v'})
ct = c.containers.run('busybox', ['sh', '-c', 'echo hello > /data/f; echo ready; sleep 60'], detach=True, name='pyc',
                      volumes={'pyvol': {'bind': '/data', 'mode': 'rw'}}, network_mode='none', environment={'PYENV': 'x1'})
ct.reload()
print('status=' + ct.status)
r = ct.exec_run(['sh', '-c', 'cat /data/f; echo $PYENV'])
print('exec_code=' + str(r.exit_code))
print('exec_out=' + r.output.decode().replace('\\n', '|'))
r = ct.exec_run(['sh', '-c', 'exit 3'])
print('exec_fail=' + str(r.exit_code))
print('logs=' + ct.logs().decode().strip())
print('listed=' + ','.join(x.name for x in c.containers.list(filters={'name': 'pyc'})))
ct.stop(timeout=1)
print('wait=' + str(ct.wait()['StatusCode']))
ct.remove()
print('vol_labels=' + str(c.volumes.get('pyvol').attrs['Labels']))
v.remove()
print('vols_after=' + ','.join(x.name for x in c.volumes.list()))
info = c.info()
print('info_images=' + str(info['Images']))
print('df_keys=' + ','.join(sorted(c.df().keys())))
try:
    c.containers.get('nope')
except docker.errors.NotFound as e:
    print('notfound=' + e.explanation)
`,
  );
  assert.match(seen.get('api') ?? '', /^1\.\d+$/);
  assert.equal(seen.get('ping'), 'True');
  assert.equal(seen.get('tags'), 'busybox:latest');
  assert.equal(seen.get('run'), 'out-line', 'run without detach returns stdout (docker-py reads it from the logs)');
  assert.equal(seen.get('status'), 'running');
  assert.equal(seen.get('exec_code'), '0');
  assert.equal(seen.get('exec_out'), 'hello|x1|');
  assert.equal(seen.get('exec_fail'), '3');
  assert.equal(seen.get('logs'), 'ready');
  assert.equal(seen.get('listed'), 'pyc');
  assert.equal(seen.get('wait'), '137', 'sleep ignores SIGTERM as pid 1, so stop kills it');
  assert.equal(seen.get('vol_labels'), "{'k': 'v'}");
  assert.equal(seen.get('vols_after'), '');
  assert.equal(seen.get('info_images'), '1');
  assert.equal(seen.get('df_keys'), 'BuildCache,Containers,Images,LayersSize,Volumes');
  assert.equal(seen.get('notfound'), 'No such container: nope');
});

test('docker-compose: up -d, ps, logs, exec, down -v with a named volume', async () => {
  const dir = join(d.dir, 'proj');
  await mkdir(dir);
  await writeFile(
    join(dir, 'docker-compose.yml'),
    `version: "3.8"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web started; sleep 1000"]
    network_mode: none
    volumes: ["data:/data"]
    environment: {COMPOSED: "yes"}
    labels: {tier: front}
  job:
    image: busybox
    command: ["sh", "-c", "echo job done; ls /data"]
    network_mode: none
    volumes: ["data:/data"]
    depends_on: [web]
volumes:
  data: {}
`,
  );
  const compose = (args: string[]) => d.run('docker-compose', ['--project-directory', dir, '-f', join(dir, 'docker-compose.yml'), '-p', 'proj', ...args], { timeoutMs: 120_000 });
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const ps = await compose(['ps']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /proj_web_1 .* Up/);
  assert.match(ps.stdout, /proj_job_1 .* Exit 0/);
  const ex = await compose(['exec', '-T', 'web', 'sh', '-c', 'echo $COMPOSED; touch /data/from-exec']);
  assert.equal(ex.code, 0, ex.stderr);
  assert.equal(ex.stdout.trim(), 'yes');
  const logs = await compose(['logs', '--no-color']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /web_1 +\| web started/);
  assert.match(logs.stdout, /job_1 +\| job done/);
  const labels = await d.docker(['inspect', '-f', '{{index .Config.Labels "tier"}} {{index .Config.Labels "com.docker.compose.service"}}', 'proj_web_1']);
  assert.equal(labels.stdout.trim(), 'front web');
  const vols = await d.docker(['volume', 'ls', '-q']);
  assert.match(vols.stdout, /^proj_data$/m);
  const down = await compose(['down', '-v']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '');
  assert.doesNotMatch((await d.docker(['volume', 'ls', '-q'])).stdout, /proj_data/);
});
