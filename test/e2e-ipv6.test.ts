import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { get } from 'node:http';
import { BERTHD, TestDaemon } from './helpers/daemon.js';

const execFileP = promisify(execFile);

/**
 * IPv6 on berth's bridge networks with the real docker CLI: dual-stack networks (--ipv6 with an IPv6
 * subnet, or one from the unique local pool), container addresses, routes and sysctls, --ip6,
 * --link-local-ip, inspect as dockerd fills it, /etc/hosts, AAAA answers, NAT66, the leases released.
 * Every IPv6 subnet lies in this daemon's own /48 (d.net.v6).
 */
let d: TestDaemon;
let base: string;
let v6: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  base = d.net.subnets[1] as string;
  v6 = d.net.v6;
});
after(async () => {
  await d?.cleanup();
});

async function inspect(kind: 'network' | 'container', id: string): Promise<any> {
  const r = await d.docker([kind, 'inspect', id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function ip6tablesNat(): Promise<string> {
  return (await execFileP('ip6tables', ['-w', '-t', 'nat', '-S', 'POSTROUTING'])).stdout;
}

test('network create --ipv6: both IPAM configs in inspect, the IPv6 gateway on the bridge, overlaps and missing --ipv6 refused', async () => {
  const id = (await ok(['network', 'create', '--ipv6', '--subnet', `${base}0/26`, '--subnet', `${v6}1::/64`, '--gateway', `${v6}1::fe`, '-o', 'com.docker.network.bridge.name=bn-v6a', 'v6a'])).trim();
  const n = await inspect('network', 'v6a');
  assert.equal(n.Id, id);
  assert.equal(n.EnableIPv6, true);
  assert.deepEqual(n.IPAM.Config, [{ Subnet: `${base}0/26`, Gateway: `${base}1` }, { Subnet: `${v6}1::/64`, Gateway: `${v6}1::fe` }]);

  // The bridge holds the IPv6 gateway once a container is on the network.
  await ok(['run', '--rm', '--network', 'v6a', 'busybox', 'true']);
  const addr = (await execFileP('ip', ['-6', '-o', 'addr', 'show', 'dev', 'bn-v6a'])).stdout;
  assert.match(addr, new RegExp(`inet6 ${v6}1::fe/64 `), addr);

  const overlap = await d.docker(['network', 'create', '--ipv6', '--subnet', `${v6}1:0:8::/96`, 'v6x']);
  assert.notEqual(overlap.code, 0);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const noFlag = await d.docker(['network', 'create', '--subnet', `${v6}2::/64`, 'v6y']);
  assert.notEqual(noFlag.code, 0);
  assert.match(noFlag.stderr, /IPv6 is not enabled on the network \(--ipv6\)/);
  const bad = await d.docker(['network', 'create', '--ipv6', '--subnet', `${v6}2::1/64`, 'v6y']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, new RegExp(`it should be ${v6}2::/64`));

  // What berth's bridges cannot do is refused by name, not ignored.
  const v6only = await d.docker(['network', 'create', '--ipv4=false', '--ipv6', 'v6only']);
  assert.notEqual(v6only.code, 0);
  assert.match(v6only.stderr, /EnableIPv4 false \(--ipv4=false\) is not supported by berth/);
  const aux = await d.docker(['network', 'create', '--subnet', `${base}0/26`, '--aux-address', `r=${base}5`, 'auxnet']);
  assert.notEqual(aux.code, 0);
  assert.match(aux.stderr, /AuxiliaryAddresses \(--aux-address\) is not supported by berth/);

  // --ipv6 alone: a /64 of this engine's unique local /48, as dockerd 27+ allocates it.
  await ok(['network', 'create', '--ipv6', 'v6auto']);
  const auto = await inspect('network', 'v6auto');
  assert.equal(auto.EnableIPv6, true);
  assert.equal(auto.IPAM.Config.length, 2);
  assert.match(auto.IPAM.Config[1].Subnet, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
  assert.equal(auto.IPAM.Config[1].Gateway, auto.IPAM.Config[1].Subnet.replace('::/64', '::1'));
  await ok(['network', 'create', '--ipv6', 'v6auto2']);
  const auto2 = await inspect('network', 'v6auto2');
  assert.notEqual(auto2.IPAM.Config[1].Subnet, auto.IPAM.Config[1].Subnet);

  await ok(['network', 'rm', 'v6a', 'v6auto', 'v6auto2']);
  assert.doesNotMatch(await ip6tablesNat(), new RegExp(`berth ${id}`));
});

test('containers on an IPv6 network: addresses, routes, sysctls, --ip6, inspect, /etc/hosts, AAAA, NAT66, leases released', async () => {
  const netId = (await ok(['network', 'create', '--ipv6', '--subnet', `${base}64/26`, '--subnet', `${v6}3::/64`, 'v6b'])).trim();
  const a = (await ok(['run', '-d', '--name', 'v6-a', '--hostname', 'v6-a', '--network', 'v6b', '--ip6', `${v6}3::10`, 'busybox', 'sleep', '300'])).trim();
  const b = (await ok(['run', '-d', '--name', 'v6-b', '--network', 'v6b', 'busybox', 'sleep', '300'])).trim();

  const ia = await inspect('container', a);
  const ep = ia.NetworkSettings.Networks.v6b;
  assert.equal(ep.GlobalIPv6Address, `${v6}3::10`);
  assert.equal(ep.GlobalIPv6PrefixLen, 64);
  assert.equal(ep.IPv6Gateway, `${v6}3::1`);
  assert.deepEqual(ep.IPAMConfig, { IPv6Address: `${v6}3::10` });
  assert.match(ep.IPAddress, new RegExp(`^${base.replace(/\./g, '\\.')}`));
  // The top-level fields are the default bridge's, as in dockerd.
  assert.equal(ia.NetworkSettings.GlobalIPv6Address, '');
  const ib = await inspect('container', b);
  const bIp6 = ib.NetworkSettings.Networks.v6b.GlobalIPv6Address;
  assert.equal(bIp6, `${v6}3::2`);
  assert.equal(ib.NetworkSettings.Networks.v6b.IPAMConfig, null);

  const net = await inspect('network', 'v6b');
  assert.equal(net.Containers[a].IPv6Address, `${v6}3::10/64`);
  assert.equal(net.Containers[b].IPv6Address, `${v6}3::2/64`);

  // Inside: the global and the kernel's link-local address, the default route, Docker's sysctls.
  const inside = await ok(['exec', 'v6-a', 'sh', '-c', 'ip -6 -o addr show eth0; ip -6 route; cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 /proc/sys/net/ipv6/conf/eth0/accept_ra; cat /etc/hosts']);
  assert.match(inside, new RegExp(`inet6 ${v6}3::10/64 scope global`));
  assert.match(inside, /inet6 fe80::[0-9a-f:]+\/64 scope link/);
  assert.match(inside, new RegExp(`default via ${v6}3::1 dev eth0`));
  assert.match(inside, /\n0\n0\n/);
  assert.match(inside, new RegExp(`^${ia.NetworkSettings.Networks.v6b.IPAddress.replace(/\./g, '\\.')}\tv6-a$`, 'm'));
  assert.match(inside, new RegExp(`^${v6}3::10\tv6-a$`, 'm'));

  // The two reach each other over IPv6, and by name: the embedded DNS answers AAAA.
  const ping = await ok(['exec', 'v6-b', 'sh', '-c', `ping -6 -c1 -W3 ${v6}3::10 >/dev/null && echo ping6-ok; nslookup -type=aaaa v6-a; nslookup -type=a v6-a`]);
  assert.match(ping, /ping6-ok/);
  assert.match(ping, new RegExp(`Address: ${v6}3::10$`, 'm'));
  assert.match(ping, new RegExp(`Address: ${ia.NetworkSettings.Networks.v6b.IPAddress.replace(/\./g, '\\.')}$`, 'm'));
  const back = await d.docker(['exec', 'v6-a', 'ping', '-6', '-c1', '-W3', bIp6]);
  assert.equal(back.code, 0, back.stdout + back.stderr);

  // NAT66 for what leaves the subnet, as dockerd 28 adds it with ip6tables on.
  assert.match(await ip6tablesNat(), new RegExp(`-A POSTROUTING -s ${v6}3::/64 ! -o br-${netId.slice(0, 12)} .*berth ${netId}.* -j MASQUERADE`));

  // --ip6 validated: an address taken, one outside the subnet, one on a network without IPv6.
  const taken = await d.docker(['run', '--rm', '--network', 'v6b', '--ip6', `${v6}3::10`, 'busybox', 'true']);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /Address already in use/);
  const outside = await d.docker(['create', '--network', 'v6b', '--ip6', `${v6}4::10`, 'busybox', 'true']);
  assert.notEqual(outside.code, 0);
  assert.match(outside.stderr, /does not belong to any of this network's subnets/);
  await ok(['network', 'create', '--subnet', `${base}128/26`, 'v4only']);
  const noV6 = await d.docker(['create', '--network', 'v4only', '--ip6', `${v6}3::11`, 'busybox', 'true']);
  assert.notEqual(noV6.code, 0);
  assert.match(noV6.stderr, /network v4only has no IPv6 subnet/);
  await ok(['network', 'rm', 'v4only']);

  // Addresses go back on rm: no lease file of either family stays.
  await ok(['rm', '-f', a, b]);
  const leases = (await readdir(join(d.dataRoot, 'network', 'ipam', netId)).catch(() => [] as string[])).filter((f) => f.includes(':') || /^\d+\./.test(f));
  assert.deepEqual(leases, []);
  await ok(['network', 'rm', 'v6b']);
  assert.doesNotMatch(await ip6tablesNat(), new RegExp(`berth ${netId}`));
});

test('--link-local-ip: extra IPv4 and IPv6 link-local addresses on the interface, in inspect', async () => {
  await ok(['network', 'create', '--ipv6', '--subnet', `${base}192/26`, '--subnet', `${v6}5::/64`, 'v6c']);
  const c = (await ok(['run', '-d', '--network', 'v6c', '--link-local-ip', '169.254.10.10', '--link-local-ip', 'fe80::10', 'busybox', 'sleep', '300'])).trim();
  const addrs = await ok(['exec', c, 'ip', '-o', 'addr', 'show', 'eth0']);
  assert.match(addrs, /inet 169\.254\.10\.10\/16 /);
  assert.match(addrs, /inet6 fe80::10\/64 scope link/);
  const ep = (await inspect('container', c)).NetworkSettings.Networks.v6c;
  assert.deepEqual(ep.IPAMConfig, { LinkLocalIPs: ['169.254.10.10', 'fe80::10'] });
  const bad = await d.docker(['create', '--network', 'v6c', '--link-local-ip', '10.1.1.1', 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid link-local IP address 10\.1\.1\.1/);
  // berth's own CLI sends the same fields.
  const own = await d.berth(['run', '--rm', '--network', 'v6c', '--ip6', `${v6}5::77`, '--link-local-ip', '169.254.10.11', 'busybox', 'ip', '-o', 'addr', 'show', 'eth0']);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, new RegExp(`inet6 ${v6}5::77/64 scope global`));
  assert.match(own.stdout, /inet 169\.254\.10\.11\/16 /);
  // network connect --ip6 on a running container of the default bridge: eth1 gets the asked address.
  const other = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
  await ok(['network', 'connect', '--ip6', `${v6}5::99`, 'v6c', other]);
  assert.match(await ok(['exec', other, 'ip', '-6', '-o', 'addr', 'show', 'eth1']), new RegExp(`inet6 ${v6}5::99/64 scope global`));
  assert.equal((await inspect('container', other)).NetworkSettings.Networks.v6c.GlobalIPv6Address, `${v6}5::99`);
  await ok(['network', 'disconnect', 'v6c', other]);
  await ok(['rm', '-f', c, other]);
  await ok(['network', 'rm', 'v6c']);
});

test('system check finds a NAT66 rule whose network and bridge are gone; --repair removes it', async (t) => {
  const hex = createHash('sha256').update(`${d.dir}/v6`).digest('hex');
  const rule = ['POSTROUTING', '-s', `${v6}ff::/64`, '!', '-o', `bg${hex.slice(0, 9)}`, '-m', 'comment', '--comment', `berth ${hex}`, '-j', 'MASQUERADE'];
  t.after(() => execFileP('ip6tables', ['-w', '-t', 'nat', '-D', ...rule]).catch(() => undefined));
  await execFileP('ip6tables', ['-w', '-t', 'nat', '-A', ...rule]);
  const found = await d.berth(['system', 'check']);
  assert.equal(found.code, 1, found.stdout + found.stderr);
  assert.match(found.stdout, new RegExp(`fault: iptables rule of network ${hex.slice(0, 12)}, which no longer exists: POSTROUTING -s ${v6}ff::/64 `));
  const repaired = await d.berth(['system', 'check', '--repair']);
  // At least this rule (a test beside this one may be removing a network of its own at this moment).
  assert.match(repaired.stdout, /0 faults, [1-9]\d* repaired\n$/, repaired.stdout);
  assert.doesNotMatch(await ip6tablesNat(), new RegExp(`berth ${hex}`));
});

test('-p on an IPv6 network: bound on 0.0.0.0 and [::], reached from [::1], the bridge\'s IPv6 address and 127.0.0.1; -p [::1]:… binds only that; relays back after a berthd restart', async () => {
  await ok(['network', 'create', '--ipv6', '--subnet', `${base}0/26`, '--subnet', `${v6}6::/64`, 'v6p']);
  const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-v6 > /www/index.html && exec httpd -f -p 80 -h /www'];
  const c = (await ok(['run', '-d', '--network', 'v6p', '-p', '80', 'busybox', ...HTTPD])).trim();
  const ports = (await inspect('container', c)).NetworkSettings.Ports['80/tcp'];
  assert.equal(ports.length, 2, JSON.stringify(ports));
  assert.equal(ports[0].HostIp, '0.0.0.0');
  assert.equal(ports[1].HostIp, '::');
  assert.equal(ports[1].HostPort, ports[0].HostPort);
  const port = Number(ports[0].HostPort);
  assert.match(await ok(['port', c]), new RegExp(`80/tcp -> \\[::\\]:${port}`));
  assert.equal(await fetchText('::1', port), 'hello-v6\n');
  assert.equal(await fetchText(`${v6}6::1`, port), 'hello-v6\n');
  assert.equal(await fetchText('127.0.0.1', port), 'hello-v6\n');

  // Only [::1]: nothing on the IPv4 side.
  const lo = (await ok(['run', '-d', '--network', 'v6p', '-p', '[::1]::80', 'busybox', ...HTTPD])).trim();
  const loPorts = (await inspect('container', lo)).NetworkSettings.Ports['80/tcp'];
  assert.deepEqual(loPorts.map((b: { HostIp: string }) => b.HostIp), ['::1']);
  const loPort = Number(loPorts[0].HostPort);
  assert.equal(await fetchText('::1', loPort), 'hello-v6\n');
  await assert.rejects(fetchText('127.0.0.1', loPort, 1), /ECONNREFUSED/);

  // The relays live in berthd: a restarted berthd opens them again for the running containers.
  await d.stopDaemon();
  await d.spawn();
  assert.equal(await fetchText('::1', port), 'hello-v6\n');
  assert.equal(await fetchText('::1', loPort), 'hello-v6\n');

  // [::] on the default bridge (IPv4 only) is relayed to the container's IPv4 address, as docker-proxy does.
  const v4 = (await ok(['run', '-d', '-p', '[::]::80', 'busybox', ...HTTPD])).trim();
  const v4Port = Number((await inspect('container', v4)).NetworkSettings.Ports['80/tcp'][0].HostPort);
  assert.equal(await fetchText('::1', v4Port), 'hello-v6\n');
  const udp = await d.docker(['run', '--rm', '--network', 'v6p', '-p', '[::1]:18083:53/udp', 'busybox', 'true']);
  assert.notEqual(udp.code, 0);
  assert.match(udp.stderr, /publishing a udp port on IPv6 address ::1 is not supported by berth: it relays only TCP over IPv6/);

  await ok(['rm', '-f', c, lo, v4]);
  await assert.rejects(fetchText('::1', port, 1), /ECONNREFUSED/);
  await assert.rejects(fetchText('::1', loPort, 1), /ECONNREFUSED/);
  await ok(['network', 'rm', 'v6p']);
});

/** GET / from host:port (retried while the listener comes up). */
async function fetchText(host: string, port: number, tries = 20): Promise<string> {
  for (let i = 1; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = get({ host, port, path: '/', timeout: 2000 }, (res) => {
          let body = '';
          res.on('data', (b: Buffer) => (body += b.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
      });
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('the default bridge with --ipv6 and --fixed-cidr-v6: its IPv6 config, the top-level inspect fields, NAT66; --ipv6 alone refused as dockerd does', async () => {
  const h = createHash('sha256').update(`${d.dir}/default`).digest('hex');
  const p = `fd${h.slice(0, 2)}:${parseInt(h.slice(2, 6), 16).toString(16)}:${parseInt(h.slice(6, 10), 16).toString(16)}:1`;
  const refused = await execFileP(BERTHD, ['--ipv6', '--data-root', join(d.dir, 'x'), '-H', `unix://${join(d.dir, 'x.sock')}`, '--cri=false']).then(() => null, (e: { stderr: string }) => e.stderr);
  assert.match(refused ?? 'started', /IPv6 is enabled for the default bridge, but no subnet is configured\. Specify an IPv6 subnet using --fixed-cidr-v6/);

  const d2 = await TestDaemon.start({ args: ['--ipv6', '--fixed-cidr-v6', `${p}::/64`] });
  try {
    await d2.makeBusyboxImage();
    const bridge = JSON.parse((await d2.docker(['network', 'inspect', 'bridge'])).stdout)[0];
    assert.equal(bridge.EnableIPv6, true);
    assert.deepEqual(bridge.IPAM.Config[1], { Subnet: `${p}::/64`, Gateway: `${p}::1` });
    const c = (await d2.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
    const ns = JSON.parse((await d2.docker(['inspect', c])).stdout)[0].NetworkSettings;
    assert.equal(ns.GlobalIPv6Address, `${p}::2`);
    assert.equal(ns.GlobalIPv6PrefixLen, 64);
    assert.equal(ns.IPv6Gateway, `${p}::1`);
    assert.equal(ns.Networks.bridge.GlobalIPv6Address, `${p}::2`);
    const fixed = await d2.docker(['create', '--ip6', `${p}::9`, 'busybox', 'true']);
    assert.notEqual(fixed.code, 0);
    assert.match(fixed.stderr, /user specified IP address is supported on user defined networks only/);
    const ping = await d2.docker(['exec', c, 'ping', '-6', '-c1', '-W3', `${p}::1`]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(await ip6tablesNat(), new RegExp(`-A POSTROUTING -s ${p}::/64 ! -o ${d2.net.bridge} `));
    await d2.docker(['rm', '-f', c]);
  } finally {
    await d2.cleanup();
  }
  assert.doesNotMatch(await ip6tablesNat(), new RegExp(`-s ${p}::/64 `));
});
