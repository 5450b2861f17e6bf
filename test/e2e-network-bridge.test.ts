import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

const execFileP = promisify(execFile);

/**
 * The default bridge network, published ports, none / container: modes, stop and start, stats and
 * live restore. All traffic goes to 127.0.0.1 or to addresses on this daemon's own bridge.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www'];

async function inspect(id: string): Promise<{ Id: string; NetworkSettings: Record<string, any>; State: { Pid: number } }> {
  const r = await d.docker(['inspect', id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function httpGet(url: string): Promise<string> {
  return eventually(async () => {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return await r.text();
    } catch {
      return undefined;
    }
  }, 10_000, `GET ${url}`);
}

async function iptablesMention(id: string): Promise<boolean> {
  return (await execFileP('iptables-save')).stdout.includes(id);
}

test('a container on the default bridge gets an address in the subnet, a default route and its own /etc/hosts line', async () => {
  const [prefix] = d.net.subnets;
  const gw = d.net.bip.split('/')[0] as string;
  const r = await d.docker(['run', '--rm', '--hostname', 'boxy', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts; ip -o link show lo']);
  assert.equal(r.code, 0, r.stderr);
  const ip = /inet (\S+)\/25/.exec(r.stdout)?.[1];
  assert.ok(ip?.startsWith(prefix as string), r.stdout);
  assert.match(r.stdout, new RegExp(`default via ${gw.replace(/\./g, '\\.')} dev eth0`));
  assert.match(r.stdout, new RegExp(`${ip}\\tboxy\\n`));
  assert.match(r.stdout, /lo: <LOOPBACK,UP/);

  const id = (await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const ns = (await inspect(id)).NetworkSettings;
  assert.ok(ns.IPAddress.startsWith(prefix), JSON.stringify(ns));
  assert.equal(ns.IPPrefixLen, 25);
  assert.equal(ns.Gateway, gw);
  assert.match(ns.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal(ns.Networks.bridge.IPAddress, ns.IPAddress);
  assert.match(ns.Networks.bridge.NetworkID, /^[0-9a-f]{64}$/);
  assert.match(ns.Networks.bridge.EndpointID, /^[0-9a-f]{64}$/);
  const net = JSON.parse((await d.docker(['network', 'inspect', 'bridge'])).stdout)[0];
  assert.equal(net.IPAM.Config[0].Subnet, d.net.bip.replace(/\.1\/25$/, '.0/25'));
  assert.equal(net.Options['com.docker.network.bridge.name'], d.net.bridge);
  assert.equal(net.Containers[id].IPv4Address, `${ns.IPAddress}/25`);
  await d.docker(['rm', '-f', id]);
});

test('two containers on the bridge reach each other: ping and httpd + wget', async () => {
  const web = (await d.docker(['run', '-d', '--name', 'web1', '--hostname', 'web1', 'busybox', ...HTTPD])).stdout.trim();
  const ip = (await inspect(web)).NetworkSettings.IPAddress as string;
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', `ping -c1 -W2 ${ip} >/dev/null && echo ping-ok; wget -qO- http://${ip}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ping-ok\nhello-from-web1\n');
  await d.docker(['rm', '-f', web]);
});

test('published ports: -p 127.0.0.1:PORT:80 reaches the container from the host; -p 80 and -P take random ports shown by docker port', async () => {
  const port = await freePort();
  const a = (await d.docker(['run', '-d', '--hostname', 'pa', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD])).stdout.trim();
  assert.equal(await httpGet(`http://127.0.0.1:${port}/`), 'hello-from-pa\n');
  assert.equal((await d.docker(['port', a])).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
  assert.equal((await d.berth(['port', a])).stdout, `80/tcp -> 127.0.0.1:${port}\n`);

  const b = (await d.docker(['run', '-d', '--hostname', 'pb', '-p', '80', 'busybox', ...HTTPD])).stdout.trim();
  const bp = await d.docker(['port', b, '80']);
  const m = /^0\.0\.0\.0:(\d+)\n$/.exec(bp.stdout);
  assert.ok(m, bp.stdout + bp.stderr);
  const [lo, hi] = (await (await import('node:fs/promises')).readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
  assert.ok(Number(m[1]) >= (lo as number) && Number(m[1]) <= (hi as number));
  assert.equal(await httpGet(`http://127.0.0.1:${m[1]}/`), 'hello-from-pb\n');
  const ps = await d.docker(['ps', '--filter', `id=${b}`, '--format', '{{.Ports}}']);
  assert.equal(ps.stdout.trim(), `0.0.0.0:${m[1]}->80/tcp`);

  const c = (await d.docker(['run', '-d', '--expose', '80', '-P', 'busybox', ...HTTPD])).stdout.trim();
  assert.match((await d.docker(['port', c])).stdout, /^80\/tcp -> 0\.0\.0\.0:\d+\n$/);
  await d.docker(['rm', '-f', a, b, c]);
  assert.equal(await iptablesMention(a), false, 'portmap rules must go with the container');
});

test('a host port already taken is refused at start with Docker\'s words, and nothing is left half-made', async () => {
  const port = await freePort();
  const a = (await d.docker(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '300'])).stdout.trim();
  const r = await d.docker(['run', '-d', '--name', 'second', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '300']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
  const second = (await inspect('second')).Id;
  assert.equal(existsSync(join(d.execRoot, 'netns', second)), false, 'no namespace for a failed start');
  assert.equal(await iptablesMention(second), false);

  // A port a host process holds is refused the same way (docker-proxy would fail to bind it).
  const held: Server = createServer();
  const hostPort = await freePort();
  await new Promise<void>((res) => held.listen(hostPort, '127.0.0.1', res));
  try {
    const h = await d.docker(['run', '--rm', '-p', `127.0.0.1:${hostPort}:80`, 'busybox', 'true']);
    assert.notEqual(h.code, 0);
    assert.match(h.stderr, /port is already allocated/);
  } finally {
    await new Promise((res) => held.close(res));
  }
  await d.docker(['rm', '-f', a, 'second']);
});

test('--network none has only lo; --network container:X shares X\'s interfaces', async () => {
  const none = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net']);
  assert.equal(none.stdout, 'lo\n');
  const x = (await d.docker(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '300'])).stdout.trim();
  const ip = (await inspect(x)).NetworkSettings.IPAddress as string;
  const j = await d.docker(['run', '--rm', '--network', 'container:owner', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  assert.equal(j.code, 0, j.stderr);
  assert.match(j.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
  const bad = await d.docker(['run', '--rm', '--network', 'no-such-net', 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /network no-such-net not found/);
  await d.docker(['rm', '-f', x]);
});

test('a stopped container gives its endpoint back and gets one again on start; stats show eth0 counters', async () => {
  const id = (await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const first = (await inspect(id)).NetworkSettings.IPAddress as string;
  assert.ok(first);
  const r = await d.api('GET', `/containers/${id}/stats?stream=0&one-shot=1`);
  const stats = JSON.parse(r.body);
  assert.equal(typeof stats.networks?.eth0?.rx_bytes, 'number', r.body);
  assert.equal(typeof stats.networks?.eth0?.tx_packets, 'number');
  assert.equal((await d.docker(['stop', '-t', '0', id])).code, 0);
  const stopped = (await inspect(id)).NetworkSettings;
  assert.equal(stopped.IPAddress, '');
  assert.equal(existsSync(join(d.execRoot, 'netns', id)), false);
  assert.equal(await iptablesMention(id), false);
  assert.equal((await d.docker(['start', id])).code, 0);
  assert.ok(((await inspect(id)).NetworkSettings.IPAddress as string).startsWith(d.net.subnets[0] as string));
  await d.docker(['rm', '-f', id]);
});

test('live restore: after kill -9 of berthd a running container keeps its address and published port', async () => {
  const port = await freePort();
  const id = (await d.docker(['run', '-d', '--hostname', 'survivor', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD])).stdout.trim();
  const gone = (await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
  const ip = (await inspect(id)).NetworkSettings.IPAddress;
  await httpGet(`http://127.0.0.1:${port}/`);
  await d.crash();
  // A container that dies while berthd is away is cleaned up when berthd comes back.
  await execFileP('kill', ['-9', String((JSON.parse((await execFileP('runc', ['--root', join(d.execRoot, 'runtime', 'runc'), 'state', gone])).stdout) as { pid: number }).pid)]);
  await d.spawn();
  assert.equal(await httpGet(`http://127.0.0.1:${port}/`), 'hello-from-survivor\n');
  assert.equal((await inspect(id)).NetworkSettings.IPAddress, ip);
  await eventually(async () => !existsSync(join(d.execRoot, 'netns', gone)), 10_000, 'the dead container\'s namespace to go');
  assert.equal(await iptablesMention(gone), false);
  await d.docker(['rm', '-f', id, gone]);
});
