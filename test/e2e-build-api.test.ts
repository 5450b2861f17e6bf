import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

/*
 * POST /build as SDKs drive it: docker-py's images.build and its low-level stream, and the docker
 * CLI's legacy builder flags (--add-host, --network, --cache-from, --target).
 */
const PYTHON = '/usr/bin/python3';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);

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

test('docker-py build: extra_hosts reach RUN, network_mode none leaves only loopback, target stops at its stage', async () => {
  const ctx = context('py-hosts', {
    Dockerfile: [
      'FROM busybox AS first',
      'RUN grep -E "myhost|other" /etc/hosts | tr "\\t\\n" " ," > /hosts',
      'RUN ls /sys/class/net | tr "\\n" "," > /nets',
      'CMD ["sh", "-c", "cat /hosts; echo; cat /nets"]',
      'FROM first',
      'RUN echo second > /second',
    ].join('\n'),
  });
  const seen = await python(
    'build-hosts.py',
    `
import docker
c = docker.from_env()
img, logs = c.images.build(path=${JSON.stringify(ctx)}, tag='pyhosts', extra_hosts={'myhost': '1.2.3.4', 'other': '5.6.7.8'}, network_mode='none', target='first', rm=True)
out = c.containers.run('pyhosts', remove=True, network_mode='none').decode().split('\\n')
print('hosts=' + out[0])
print('nets=' + out[1])
print('second=' + str(any('second' in (l.get('stream') or '') for l in logs)))
# docker-py's default is rm=False: as with dockerd, the RUN containers stay.
img, logs = c.images.build(path=${JSON.stringify(ctx)}, nocache=True, network_mode='none')
kept = c.containers.list(all=True)
print('kept=' + ','.join(sorted(x.status for x in kept)))
for x in kept:
    x.remove()
`,
  );
  assert.equal(seen.get('hosts'), '1.2.3.4 myhost,5.6.7.8 other,');
  assert.equal(seen.get('nets'), 'lo,');
  assert.equal(seen.get('second'), 'False', 'the stage after the target is not built');
  assert.equal(seen.get('kept'), 'exited,exited,exited', 'rm=False keeps the three RUN containers');
});

test('docker build --network: default gets a bridge address, host sees the host; an unknown network is refused by name', async () => {
  const df = 'FROM busybox\nRUN ls /sys/class/net | tr "\\n" "," > /nets\nCMD ["cat", "/nets"]\n';
  const ctx = context('cli-net', { Dockerfile: df });
  const def = await d.docker(['build', '-q', '--no-cache', '--network', 'default', '-t', 'netdef', ctx]);
  assert.equal(def.code, 0, def.stderr);
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'netdef'])).stdout, 'eth0,lo,');
  // Host networking: the RUN is in berthd's own network namespace.
  const nsCtx = context('cli-net-host', { Dockerfile: 'FROM busybox\nRUN readlink /proc/self/ns/net > /ns\nCMD ["cat", "/ns"]\n' });
  const host = await d.docker(['build', '-q', '--no-cache', '--network', 'host', '-t', 'nethost', nsCtx]);
  assert.equal(host.code, 0, host.stderr);
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'nethost'])).stdout, `${readlinkSync('/proc/self/ns/net')}\n`);
  // A user network by name, as dockerd's classic builder allows.
  assert.equal((await d.docker(['network', 'create', '--subnet', '10.231.7.0/24', 'buildnet'])).code, 0);
  try {
    const ipCtx = context('cli-net-user', { Dockerfile: 'FROM busybox\nRUN ip -4 -o addr show eth0 | tr -s " " | cut -d" " -f4 > /ip\nCMD ["cat", "/ip"]\n' });
    const user = await d.docker(['build', '-q', '--no-cache', '--network', 'buildnet', '-t', 'netuser', ipCtx]);
    assert.equal(user.code, 0, user.stderr);
    assert.match((await d.docker(['run', '--rm', '--network', 'none', 'netuser'])).stdout, /^10\.231\.7\.\d+\/24\n$/);
  } finally {
    await d.docker(['network', 'rm', 'buildnet']);
  }
  const bad = await d.docker(['build', '--no-cache', '--network', 'nosuchnet', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /nosuchnet/);
  const hosts = await d.docker(['build', '-q', '--no-cache', '--add-host', 'cli-host:10.1.2.3', '-t', 'clihosts', context('cli-hosts', { Dockerfile: 'FROM busybox\nRUN grep cli-host /etc/hosts > /h\nCMD ["cat", "/h"]\n' })]);
  assert.equal(hosts.code, 0, hosts.stderr);
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'clihosts'])).stdout, '10.1.2.3\tcli-host\n');
  // The berth CLI sends the same flags.
  const berthCtx = context('berth-net', { Dockerfile: 'FROM busybox\nRUN grep cli-host /etc/hosts > /h; ls /sys/class/net | tr "\\n" "," >> /h; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2 >> /h\nCMD ["cat", "/h"]\n' });
  const viaBerth = await d.berth(['build', '-q', '--no-cache', '--network', 'none', '--add-host', 'cli-host:10.9.8.7', '--shm-size', '16m', '-t', 'berthflags', berthCtx]);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'berthflags'])).stdout, '10.9.8.7\tcli-host\nlo,16384\n');
});

test('a RUN step streams stderr with stdout, in order; a failing RUN reports error and errorDetail with its code', async () => {
  const ctx = context('py-stream', { Dockerfile: 'FROM busybox\nRUN echo out1; echo err1 >&2; sleep 0.2; echo out2; echo err2 >&2\nRUN exit 3\n' });
  const seen = await python(
    'build-stream.py',
    `
import json
import docker
c = docker.from_env()
lines = list(c.api.build(path=${JSON.stringify(ctx)}, decode=True, nocache=True, rm=True))
text = ''.join(l.get('stream', '') for l in lines)
print('order=' + ','.join(t for t in text.split('\\n') if t in ('out1', 'err1', 'out2', 'err2')))
print('last=' + json.dumps(lines[-1], sort_keys=True, separators=(',', ':')))
try:
    c.images.build(path=${JSON.stringify(ctx)}, nocache=True, rm=True)
except docker.errors.BuildError as e:
    print('builderror=' + e.msg)
`,
  );
  assert.equal(seen.get('order'), 'out1,err1,out2,err2');
  const msg = "The command '/bin/sh -c exit 3' returned a non-zero code: 3";
  assert.equal(seen.get('last'), JSON.stringify({ error: msg, errorDetail: { code: 3, message: msg } }));
  assert.equal(seen.get('builderror'), msg);
  // With -q the error still comes in the stream (dockerd holds back only the output), so the CLI exits with the RUN's code.
  const quiet = await d.docker(['build', '-q', '--no-cache', ctx]);
  assert.equal(quiet.code, 3, quiet.stderr);
  assert.match(quiet.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
});

test('an HTTP/1.0 client (no chunked encoding) still reads the error of a failing build', async () => {
  const ctx = context('http10', { Dockerfile: 'FROM busybox\nRUN exit 4\n' });
  const tar = join(d.dir, 'http10.tar');
  const t = await d.run('tar', ['-C', ctx, '-cf', tar, '.']);
  assert.equal(t.code, 0, t.stderr);
  const r = await d.run('curl', ['-sS', '-0', '-i', '--unix-socket', d.socket, '-X', 'POST', '-H', 'Content-Type: application/x-tar', '--data-binary', `@${tar}`, 'http://localhost/build?nocache=1']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Transfer-Encoding: chunked/i);
  assert.match(r.stdout, /"errorDetail":\{"code":4,"message":"The command '\/bin\/sh -c exit 4' returned a non-zero code: 4"\}/);
});

test('cache_from: a build whose local cache is gone reuses the steps of the cache-from image', async () => {
  const df = 'FROM busybox\nENV A=1\nRUN echo built > /built\nRUN echo again > /again\nCMD ["cat", "/built", "/again"]\n';
  const ctx = context('cachefrom', { Dockerfile: df });
  const first = await d.docker(['build', '-t', 'cf-src', ctx]);
  assert.equal(first.code, 0, first.stderr);
  const id = /Successfully built (\w+)/.exec(first.stdout)?.[1];
  // Drop the local cache: save the result, remove it (and its intermediate step images), load it back.
  const tar = join(d.dir, 'cf.tar');
  assert.equal((await d.docker(['save', '-o', tar, 'cf-src'])).code, 0);
  assert.equal((await d.docker(['rmi', 'cf-src'])).code, 0);
  assert.equal((await d.docker(['builder', 'prune', '-af'])).code, 0);
  const load = await d.docker(['load', '-i', tar]);
  assert.equal(load.code, 0, load.stderr);
  const noCacheFrom = await d.docker(['build', ctx]);
  assert.equal(noCacheFrom.code, 0, noCacheFrom.stderr);
  assert.doesNotMatch(noCacheFrom.stdout, /Using cache/, 'a loaded image is no local cache');
  assert.equal((await d.docker(['builder', 'prune', '-af'])).code, 0);
  const seen = await python(
    'build-cachefrom.py',
    `
import docker
c = docker.from_env()
img, logs = c.images.build(path=${JSON.stringify(ctx)}, tag='cf-dst', cache_from=['cf-src'], rm=True)
text = ''.join(l.get('stream', '') for l in logs)
print('cached=' + str(text.count('Using cache')))
print('running=' + str(text.count('Running in')))
print('id=' + img.id)
`,
  );
  assert.equal(seen.get('cached'), '4', 'ENV, both RUNs and CMD come from cf-src');
  assert.equal(seen.get('running'), '0');
  assert.equal(seen.get('id')?.replace('sha256:', '').slice(0, 12), id, 'the result is the cache-from image itself');
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'cf-dst'])).stdout, 'built\nagain\n');
  const cli = await d.docker(['build', '--cache-from', 'cf-src', '-t', 'cf-cli', context('cachefrom2', { Dockerfile: df.replace('RUN echo again > /again', 'RUN echo other > /again') })]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.match(/Using cache/g)?.length, 2, 'ENV and the first RUN come from cf-src, the changed RUN is run');
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'cf-cli'])).stdout, 'built\nother\n');
});

test('build query fields berth cannot do are refused by name; the cheap ones are honoured', async () => {
  const ctx = context('fields', { Dockerfile: 'FROM busybox\nRUN df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2 > /shm\nCMD ["cat", "/shm"]\n' });
  const shm = await d.docker(['build', '-q', '--shm-size', '32m', '-t', 'shm32', ctx]);
  assert.equal(shm.code, 0, shm.stderr);
  assert.equal((await d.docker(['run', '--rm', '--network', 'none', 'shm32'])).stdout, '32768\n');
  const squash = await d.api('POST', '/build?squash=1', undefined);
  assert.equal(squash.status, 400);
  assert.match(squash.body, /squash/);
  const iso = await d.api('POST', '/build?isolation=hyperv', undefined);
  assert.equal(iso.status, 400);
  assert.match(iso.body, /isolation/);
  // An error before the build said anything is the reply's status and message, as with dockerd.
  const empty = await d.api('POST', '/build', undefined);
  assert.notEqual(empty.status, 200);
  assert.match((empty.json as { message?: string } | null)?.message ?? '', /the build context is empty/);
  const opt = await d.api('POST', '/build?securityopt=seccomp%3Dunconfined', undefined);
  assert.equal(opt.status, 400);
  assert.match(opt.body, /security options are not supported/);
});
