import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { TestDaemon } from './helpers/daemon.js';

/**
 * User-defined networks with the real docker CLI and dockerode: create/inspect/ls/rm/prune,
 * connect/disconnect, name resolution through the embedded DNS, the errors Docker gives, events.
 * Every subnet here lies inside this daemon's own /23 (d.net.subnets).
 */
let d: TestDaemon;
let docker: Docker;
let base: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  docker = new Docker({ socketPath: d.socket });
  base = d.net.subnets[1] as string; // 10.X.Y+1.: the bridge network holds the other half
});
after(async () => {
  await d?.cleanup();
});

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www'];

async function inspect(kind: 'network' | 'container', id: string): Promise<any> {
  const r = await d.docker([kind, 'inspect', id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

test('network create, ls, inspect and rm with the docker CLI, with Docker\'s events', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await d.docker(['network', 'create', '--subnet', `${base}0/28`, '--gateway', `${base}14`, '--ip-range', `${base}8/29`, '--label', 'team=a', '--attachable', '-o', 'com.docker.network.bridge.name=bn-user', 'front']);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const n = await inspect('network', 'front');
  assert.equal(n.Name, 'front');
  assert.equal(n.Id, id);
  assert.equal(n.Scope, 'local');
  assert.equal(n.Driver, 'bridge');
  assert.equal(n.EnableIPv6, false);
  assert.equal(n.Internal, false);
  assert.equal(n.Attachable, true);
  assert.deepEqual(n.IPAM.Config, [{ Subnet: `${base}0/28`, Gateway: `${base}14`, IPRange: `${base}8/29` }]);
  assert.equal(n.IPAM.Driver, 'default');
  assert.deepEqual(n.Labels, { team: 'a' });
  assert.deepEqual(n.Containers, {});
  assert.ok(!Number.isNaN(Date.parse(n.Created)));

  // The range decides the addresses; the named bridge carries the gateway.
  const r = await d.docker(['run', '--rm', '--network', 'front', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route | grep default']);
  assert.equal(r.code, 0, r.stderr);
  const ip = Number(/inet \d+\.\d+\.\d+\.(\d+)\/28/.exec(r.stdout)?.[1]);
  assert.ok(ip >= 8 && ip <= 13, r.stdout);
  assert.match(r.stdout, new RegExp(`default via ${base.replace(/\./g, '\\.')}14 dev eth0`));

  const ls = await d.docker(['network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}} {{.Driver}}']);
  assert.equal(ls.stdout, 'front bridge\n');
  const custom = await d.docker(['network', 'ls', '--filter', 'type=custom', '-q']);
  assert.equal(custom.stdout.trim(), id.slice(0, 12));
  const builtin = await d.docker(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}']);
  assert.deepEqual(builtin.stdout.trim().split('\n').sort(), ['bridge', 'host', 'none']);

  assert.equal((await d.docker(['network', 'rm', 'front'])).code, 0);
  assert.equal((await d.docker(['network', 'inspect', 'front'])).code, 1);
  const until = Math.ceil(Date.now() / 1000) + 1;
  await new Promise((res) => setTimeout(res, 1100));
  const ev = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=network', '--format', '{{json .}}']);
  const evs = ev.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(evs.map((e) => e.Action), ['create', 'connect', 'disconnect', 'destroy']);
  assert.equal(evs[0].Actor.ID, id);
  assert.equal(evs[0].Actor.Attributes.name, 'front');
  assert.equal(evs[0].Actor.Attributes.type, 'bridge');
  assert.match(evs[1].Actor.Attributes.container, /^[0-9a-f]{64}$/);
});

test('containers resolve each other by name, network alias and short id on a user network', async () => {
  assert.equal((await d.docker(['network', 'create', 'app'])).code, 0);
  const net = await inspect('network', 'app');
  // No --subnet: the first free subnet of this daemon's pool.
  assert.ok(net.IPAM.Config[0].Subnet.startsWith(d.net.subnets[0]) || net.IPAM.Config[0].Subnet.startsWith(base), net.IPAM.Config[0].Subnet);
  const gw = net.IPAM.Config[0].Gateway;
  const web = (await d.docker(['run', '-d', '--name', 'web', '--hostname', 'web', '--network', 'app', '--network-alias', 'www', 'busybox', ...HTTPD])).stdout.trim();
  const webIp = (await inspect('container', web)).NetworkSettings.Networks.app.IPAddress;
  const r = await d.docker(['run', '--rm', '--network', 'app', 'busybox', 'sh', '-c',
    `cat /etc/resolv.conf; nslookup web; nslookup www; nslookup ${web.slice(0, 12)}; ping -c1 -W2 www >/dev/null && echo ping-ok; wget -qO- http://web/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'));
  assert.equal(r.stdout.match(new RegExp(`Address: ${webIp.replace(/\./g, '\\.')}$`, 'gm'))?.length, 3, r.stdout);
  assert.match(r.stdout, /ping-ok\nhello-from-web\n$/);
  const missing = await d.docker(['run', '--rm', '--network', 'app', 'busybox', 'nslookup', 'nobody-here']);
  assert.notEqual(missing.code, 0);
  // The default bridge has no embedded DNS, as in Docker: container names do not resolve there.
  const dflt = await d.docker(['run', '--rm', '--dns', gw, 'busybox', 'cat', '/etc/resolv.conf']);
  assert.equal(dflt.stdout, `nameserver ${gw}\n`);
  const insp = await inspect('container', web);
  assert.deepEqual(insp.NetworkSettings.Networks.app.Aliases, ['www']);
  assert.deepEqual(insp.NetworkSettings.Networks.app.DNSNames, ['web', 'www', web.slice(0, 12)]);
  assert.equal(insp.NetworkSettings.IPAddress, '', 'top-level fields belong to the default bridge');
  await d.docker(['rm', '-f', web]);
  assert.equal((await d.docker(['network', 'rm', 'app'])).code, 0);
});

test('connect and disconnect running and stopped containers (docker CLI and dockerode)', async () => {
  assert.equal((await d.docker(['network', 'create', '--subnet', `${base}16/28`, 'side'])).code, 0);
  const c = (await d.docker(['run', '-d', '--name', 'multi', 'busybox', 'sleep', '300'])).stdout.trim();
  const con = await d.docker(['network', 'connect', '--alias', 'm2', '--ip', `${base}20`, 'side', 'multi']);
  assert.equal(con.code, 0, con.stderr);
  const eth1 = await d.docker(['exec', 'multi', 'ip', '-4', '-o', 'addr', 'show', 'eth1']);
  assert.match(eth1.stdout, new RegExp(`inet ${base.replace(/\./g, '\\.')}20/28`));
  const side = await inspect('network', 'side');
  assert.equal(side.Containers[c].Name, 'multi');
  assert.equal(side.Containers[c].IPv4Address, `${base}20/28`);
  const again = await d.docker(['network', 'connect', 'side', 'multi']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists in network side/);
  assert.equal((await d.docker(['network', 'disconnect', 'side', 'multi'])).code, 0);
  assert.notEqual((await d.docker(['exec', 'multi', 'ip', 'link', 'show', 'eth1'])).code, 0);
  assert.deepEqual(Object.keys((await inspect('container', c)).NetworkSettings.Networks), ['bridge']);

  // dockerode, on a created (never started) container: the endpoint appears at start.
  const created = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'bridge' } });
  const net = docker.getNetwork('side');
  await net.connect({ Container: created.id, EndpointConfig: { Aliases: ['late'] } });
  await created.start();
  const info = await created.inspect();
  assert.ok(info.NetworkSettings.Networks['side']?.IPAddress.startsWith(base), JSON.stringify(info.NetworkSettings.Networks));
  assert.ok(info.NetworkSettings.Networks['bridge']?.IPAddress.startsWith(d.net.subnets[0] as string));
  await net.disconnect({ Container: created.id, Force: true });
  assert.equal((await created.inspect()).NetworkSettings.Networks['side'], undefined);
  await created.remove({ force: true });
  await d.docker(['rm', '-f', c]);
  await net.remove();
});

test('dockerode: createNetwork, listNetworks with filters, inspect, remove', async () => {
  const n = await docker.createNetwork({ Name: 'dk', Driver: 'bridge', Internal: true, IPAM: { Driver: 'default', Config: [{ Subnet: `${base}32/28` }] }, Labels: { via: 'dockerode' } });
  const info = await n.inspect();
  assert.equal(info.Name, 'dk');
  assert.equal(info.Internal, true);
  assert.equal(info.IPAM?.Config?.[0]?.Gateway, `${base}33`);
  const listed = await docker.listNetworks({ filters: { label: ['via=dockerode'] } });
  assert.deepEqual(listed.map((x) => x.Name), ['dk']);
  // An internal network has no route out.
  const r = await d.docker(['run', '--rm', '--network', 'dk', 'busybox', 'sh', '-c', 'ip route | grep -c default || true']);
  assert.equal(r.stdout.trim(), '0');
  await n.remove();
  await assert.rejects(n.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('errors as Docker gives them: active endpoints, predefined networks, bad and overlapping subnets', async () => {
  assert.equal((await d.docker(['network', 'create', '--subnet', `${base}48/28`, 'busy'])).code, 0);
  const busy = await inspect('network', 'busy');
  const c = (await d.docker(['run', '-d', '--network', 'busy', 'busybox', 'sleep', '300'])).stdout.trim();
  const rm = await d.api('DELETE', '/networks/busy');
  assert.equal(rm.status, 403);
  assert.equal(JSON.parse(rm.body).message, `error while removing network: network busy id ${busy.Id} has active endpoints`);
  const cli = await d.docker(['network', 'rm', 'busy']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /has active endpoints/);

  for (const name of ['bridge', 'host', 'none']) {
    const p = await d.api('DELETE', `/networks/${name}`);
    assert.equal(p.status, 403, name);
    assert.match(JSON.parse(p.body).message, new RegExp(`${name} is a pre-defined network and cannot be removed`));
  }
  const bad = await d.api('POST', '/networks/create', { Name: 'bad', IPAM: { Config: [{ Subnet: '10.1.2.0/33' }] } });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).message, /invalid CIDR address: 10\.1\.2\.0\/33/);
  const over = await d.docker(['network', 'create', '--subnet', `${base}0/26`, 'overlap']);
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /Pool overlaps with other one on this address space/);
  const dup = await d.api('POST', '/networks/create', { Name: 'busy' });
  assert.equal(dup.status, 409);
  const gw = await d.api('POST', '/networks/create', { Name: 'gw', IPAM: { Config: [{ Subnet: `${base}64/28`, Gateway: '10.0.0.1' }] } });
  assert.equal(gw.status, 400);
  const alias = await d.docker(['run', '--rm', '--network', 'bridge', '--network-alias', 'x', 'busybox', 'true']);
  assert.notEqual(alias.code, 0);
  await d.docker(['rm', '-f', c]);
  assert.equal((await d.docker(['network', 'rm', 'busy'])).code, 0);
});

test('network prune removes unused user networks only', async () => {
  for (const n of ['p1', 'p2']) assert.equal((await d.docker(['network', 'create', n])).code, 0);
  const keep = (await d.docker(['create', '--network', 'p2', 'busybox', 'true'])).stdout.trim();
  const dangling = await d.docker(['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']);
  assert.equal(dangling.stdout, 'p1\n');
  const r = await d.docker(['network', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Deleted Networks:\np1\n/);
  assert.equal((await d.docker(['network', 'inspect', 'p2'])).code, 0);
  await d.docker(['rm', keep]);
  assert.equal((await d.docker(['network', 'rm', 'p2'])).code, 0);
});

test('berth run on a user network: --ip, --mac-address, --add-host (host-gateway), --dns-search', async () => {
  assert.equal((await d.berth(['network', 'create', '--subnet', `${base}96/28`, 'statics'])).code, 0);
  const r = await d.berth(['run', '--rm', '--network', 'statics', '--ip', `${base}100`, '--mac-address', '02:42:ac:11:00:99', '--add-host', 'foo:192.0.2.10',
    '--add-host', 'gw:host-gateway', '--dns-search', 'example.test', '--hostname', 'hx', 'busybox', 'sh', '-c', 'ip -o link show eth0; ip -4 -o addr show eth0; cat /etc/hosts /etc/resolv.conf']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /link\/ether 02:42:ac:11:00:99 /);
  assert.match(r.stdout, new RegExp(`inet ${base.replace(/\./g, '\\.')}100/28`));
  assert.match(r.stdout, /^192\.0\.2\.10\tfoo$/m);
  assert.match(r.stdout, new RegExp(`^${base.replace(/\./g, '\\.')}97\\tgw$`, 'm'));
  assert.match(r.stdout, new RegExp(`^${base.replace(/\./g, '\\.')}100\\thx$`, 'm'));
  assert.match(r.stdout, new RegExp(`^nameserver ${base.replace(/\./g, '\\.')}97\\nsearch example\\.test\\n$`, 'm'));
  const outside = await d.berth(['run', '--rm', '--network', 'statics', '--ip', '192.0.2.7', 'busybox', 'true']);
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /does not belong to any of this network's subnets/);
  assert.equal((await d.berth(['network', 'rm', 'statics'])).code, 0);
});

test('docker-compose up and down: the project network, services resolving each other by service name', async () => {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = `${d.dir}/compose`;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/docker-compose.yml`, [
    'version: "3"',
    'services:',
    '  web:',
    '    image: busybox',
    "    command: sh -c 'mkdir -p /www && echo composed > /www/index.html && exec httpd -f -p 80 -h /www'",
    '  client:',
    '    image: busybox',
    "    command: sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ && exit 0; sleep 0.5; done; exit 1'",
    '    depends_on: [web]',
    '',
  ].join('\n'));
  const dc = (args: string[]): ReturnType<TestDaemon['run']> => d.run('docker-compose', ['-f', `${dir}/docker-compose.yml`, '-p', 'proj', ...args], { timeoutMs: 90_000 });
  const up = await dc(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /Creating network "proj_default" with the default driver/);
  const client = JSON.parse((await d.docker(['inspect', 'proj_client_1'])).stdout)[0];
  assert.deepEqual(Object.keys(client.NetworkSettings.Networks), ['proj_default']);
  assert.ok(client.NetworkSettings.Networks.proj_default.Aliases.includes('client'));
  const code = await d.docker(['wait', 'proj_client_1']);
  assert.equal(code.stdout.trim(), '0');
  assert.match((await d.docker(['logs', 'proj_client_1'])).stdout, /^composed$/m);
  const down = await dc(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /Removing network proj_default/);
  assert.equal((await d.docker(['network', 'inspect', 'proj_default'])).code, 1);
});
