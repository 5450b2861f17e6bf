import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * Legacy links (--link, HostConfig.Links) through the real docker CLI and docker-py: /etc/hosts,
 * the ALIAS_* variables, inspect, ps names, docker rm --link, the refusals dockerd gives, and on a
 * user network the alias resolved for the linking container only.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function inspect(id: string): Promise<any> {
  const r = await d.docker(['inspect', id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

test('docker run --link on the default bridge: /etc/hosts, ALIAS_* env, ping, inspect, ps names, rm --link', async () => {
  const db = (await d.docker(['run', '-d', '--name', 'ldb', '--expose', '5432', '--expose', '80', '-e', 'SECRET=s3', 'busybox', 'sleep', '300'])).stdout.trim();
  const dbIp = (await inspect(db)).NetworkSettings.Networks.bridge.IPAddress as string;
  assert.match(dbIp, /^10\./);
  const run = await d.docker(['run', '-d', '--name', 'lapp', '--link', 'ldb:my-db', '--link', 'ldb', 'busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const app = run.stdout.trim();

  const hosts = await d.docker(['exec', app, 'cat', '/etc/hosts']);
  assert.match(hosts.stdout, new RegExp(`^${dbIp.replace(/\./g, '\\.')}\\tmy-db ${db.slice(0, 12)} ldb$`, 'm'), hosts.stdout);
  // The alias equal to the name is not written twice.
  assert.match(hosts.stdout, new RegExp(`^${dbIp.replace(/\./g, '\\.')}\\tldb ${db.slice(0, 12)}$`, 'm'), hosts.stdout);
  const ping = await d.docker(['exec', app, 'ping', '-c1', '-W2', 'my-db']);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);

  const env = (await d.docker(['exec', app, 'env'])).stdout.split('\n');
  for (const want of [
    `MY_DB_PORT=tcp://${dbIp}:80`,
    `MY_DB_PORT_80_TCP=tcp://${dbIp}:80`,
    `MY_DB_PORT_80_TCP_ADDR=${dbIp}`,
    'MY_DB_PORT_80_TCP_PORT=80',
    'MY_DB_PORT_80_TCP_PROTO=tcp',
    `MY_DB_PORT_5432_TCP=tcp://${dbIp}:5432`,
    'MY_DB_NAME=/lapp/my-db',
    'MY_DB_ENV_SECRET=s3',
    'LDB_NAME=/lapp/ldb',
  ]) {
    assert.ok(env.includes(want), `${want} missing from:\n${env.join('\n')}`);
  }
  assert.ok(!env.some((e) => e.startsWith('MY_DB_ENV_PATH=') || e.startsWith('MY_DB_ENV_HOME=')), env.join('\n'));
  // The variables are the process's, not the container's config.
  assert.ok(!(await inspect(app)).Config.Env.some((e: string) => e.startsWith('MY_DB_')));

  assert.deepEqual((await inspect(app)).HostConfig.Links, ['/ldb:/lapp/my-db', '/ldb:/lapp/ldb']);
  const ps = await d.docker(['ps', '--no-trunc', '--filter', `id=${db}`, '--format', '{{.Names}}']);
  assert.equal(ps.stdout.trim(), 'lapp/ldb,lapp/my-db,ldb');
  const psShort = await d.docker(['ps', '--filter', `id=${db}`, '--format', '{{.Names}}']);
  assert.equal(psShort.stdout.trim(), 'ldb');

  // The berth CLI has docker's --link too, on run and on rm.
  const viaBerth = await d.berth(['run', '--rm', '--link', 'ldb:bdb', 'busybox', 'sh', '-c', 'echo $BDB_NAME; grep -c bdb /etc/hosts']);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  assert.match(viaBerth.stdout, /^\/[a-z_0-9]+\/bdb\n1\n$/);
  assert.equal((await d.berth(['create', '--name', 'lberth', '--link', 'ldb:x', 'busybox', 'true'])).code, 0);
  const berthRm = await d.berth(['rm', '--link', 'lberth/x']);
  assert.equal(berthRm.code, 0, berthRm.stderr);
  assert.equal((await inspect('lberth')).HostConfig.Links, null);
  await d.docker(['rm', 'lberth']);

  const rmLink = await d.docker(['rm', '--link', '/lapp/my-db']);
  assert.equal(rmLink.code, 0, rmLink.stderr);
  assert.deepEqual((await inspect(app)).HostConfig.Links, ['/ldb:/lapp/ldb']);
  assert.equal((await inspect(db)).State.Running, true, 'rm --link leaves the target');
  const again = await d.docker(['rm', '--link', '/lapp/my-db']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /No such container: lapp\/my-db/);
  const own = await d.docker(['rm', '--link', 'ldb']);
  assert.match(own.stderr, /Conflict, cannot remove the default link name of the container/);

  // A link name finds its target, as in dockerd: without --link, rm removes that container, and its links go with it.
  const rmByLink = await d.docker(['rm', '-f', 'lapp/ldb']);
  assert.equal(rmByLink.code, 0, rmByLink.stderr);
  assert.equal((await d.docker(['inspect', db])).code, 1);
  assert.equal((await inspect(app)).HostConfig.Links, null);
  await d.docker(['rm', '-f', app]);
});

test('links refused as dockerd refuses them: missing target, stopped target, --network host', async () => {
  const missing = await d.docker(['run', '--rm', '--link', 'nobody:x', 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /could not get container for nobody: No such container: nobody/);
  assert.doesNotMatch(missing.stderr, /Unable to find image/);

  const bad = await d.docker(['run', '--rm', '--link', 'a:b:c', 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /bad format for links: a:b:c/);

  const stopped = (await d.docker(['create', '--name', 'lstopped', 'busybox', 'true'])).stdout.trim();
  const made = await d.docker(['create', '--name', 'lparent', '--link', 'lstopped:st', 'busybox', 'true']);
  assert.equal(made.code, 0, made.stderr);
  const start = await d.docker(['start', 'lparent']);
  assert.notEqual(start.code, 0);
  assert.match(start.stderr, /Cannot link to a non running container: \/lstopped AS \/lparent\/st/);

  const host = await d.docker(['run', '--rm', '--network', 'host', '--link', 'lstopped:st', 'busybox', 'true']);
  assert.notEqual(host.code, 0);
  assert.match(host.stderr, /conflicting options: host type networking can't be used with links\. This would result in undefined behavior/);
  await d.docker(['rm', '-f', 'lparent', stopped]);
});

test('--link on a user network: the alias resolves for the linking container only', async () => {
  assert.equal((await d.docker(['network', 'create', '--subnet', `${d.net.subnets[1]}0/27`, 'lnet'])).code, 0);
  const web = (await d.docker(['run', '-d', '--name', 'lweb', '--network', 'lnet', 'busybox', 'sleep', '300'])).stdout.trim();
  const webIp = (await inspect(web)).NetworkSettings.Networks.lnet.IPAddress as string;
  const r = await d.docker(['run', '--rm', '--network', 'lnet', '--link', 'lweb:backend', 'busybox', 'sh', '-c', 'nslookup backend && ping -c1 -W2 backend >/dev/null && echo ping-ok']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`Address: ${webIp.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(r.stdout, /ping-ok/);
  const other = await d.docker(['run', '--rm', '--network', 'lnet', 'busybox', 'nslookup', 'backend']);
  assert.notEqual(other.code, 0, 'another container on the network does not see the alias');
  const c = (await d.docker(['create', '--network', 'lnet', '--link', 'lweb:backend', 'busybox', 'true'])).stdout.trim();
  assert.deepEqual((await inspect(c)).NetworkSettings.Networks.lnet.Links, ['lweb:backend']);
  // docker network connect --link: the same, for a container joining the network.
  const joiner = (await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const con = await d.docker(['network', 'connect', '--link', 'lweb:be2', 'lnet', joiner]);
  assert.equal(con.code, 0, con.stderr);
  // Its primary network is the default bridge: ask the embedded DNS of lnet by its address.
  const gw = JSON.parse((await d.docker(['network', 'inspect', 'lnet'])).stdout)[0].IPAM.Config[0].Gateway as string;
  const viaConnect = await d.docker(['exec', joiner, 'nslookup', 'be2', gw]);
  assert.match(viaConnect.stdout, new RegExp(`Address: ${webIp.replace(/\./g, '\\.')}$`, 'm'), viaConnect.stdout + viaConnect.stderr);
  await d.docker(['rm', '-f', c, web, joiner]);
  assert.equal((await d.docker(['network', 'rm', 'lnet'])).code, 0);
});

test('docker-py links={target: alias}: env, /etc/hosts and inspect', async () => {
  const file = join(d.dir, 'links.py');
  await writeFile(
    file,
    `
import docker
c = docker.from_env()
t = c.containers.run('busybox', ['sleep', '300'], name='pytarget', detach=True, environment={'COLOR': 'blue'})
t.reload()
print('ip=' + t.attrs['NetworkSettings']['IPAddress'])
p = c.containers.run('busybox', ['sleep', '300'], name='pyparent', detach=True, links={'pytarget': 'tgt'})
p.reload()
print('links=' + ','.join(p.attrs['HostConfig']['Links']))
print('hosts=' + p.exec_run(['grep', 'tgt', '/etc/hosts']).output.decode().strip())
print('env=' + p.exec_run(['sh', '-c', 'echo $TGT_NAME $TGT_ENV_COLOR']).output.decode().strip())
c.api.remove_container('pyparent/tgt', link=True)
p.reload()
print('after=' + str(p.attrs['HostConfig']['Links']))
p.remove(force=True)
t.remove(force=True)
`,
  );
  const r = await d.run('/usr/bin/python3', [file], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const seen = new Map(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const ip = seen.get('ip') ?? '';
  assert.match(ip, /^10\./);
  assert.equal(seen.get('links'), '/pytarget:/pyparent/tgt');
  assert.match(seen.get('hosts') ?? '', new RegExp(`^${ip.replace(/\./g, '\\.')}\\ttgt [0-9a-f]{12} pytarget$`));
  assert.equal(seen.get('env'), '/pyparent/tgt blue');
  assert.equal(seen.get('after'), 'None');
});
