import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conflict, InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { HostLocalLeases } from './ipam.js';

const r = { subnet: '10.9.0.0/29', gateway: '10.9.0.1' };
const owner = (n: number, ifname = 'eth0'): { containerId: string; ifname: string } => ({ containerId: String(n).repeat(64).slice(0, 64), ifname });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-ipam-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('leases go in order after the last one given, skip the gateway, and are kept as host-local keeps them', () =>
  withDir(async (dir) => {
    const l = new HostLocalLeases(dir);
    assert.equal(await l.lease('net', r, owner(1)), '10.9.0.2');
    assert.equal(await l.lease('net', r, owner(2)), '10.9.0.3');
    assert.equal(await readFile(join(dir, 'net', '10.9.0.2'), 'utf8'), `${owner(1).containerId}\r\neth0`);
    assert.equal(await readFile(join(dir, 'net', 'last_reserved_ip.0'), 'utf8'), '10.9.0.3');
    await l.release('net', owner(1));
    // The search goes on after the last one given, as host-local's does: .2 is not reused at once.
    assert.equal(await l.lease('net', r, owner(3)), '10.9.0.4');
    assert.deepEqual((await readdir(join(dir, 'net'))).filter((n) => /^\d/.test(n)).sort(), ['10.9.0.3', '10.9.0.4']);
  }));

test('a requested address: taken when free; refused in use, as the gateway, or outside the range', () =>
  withDir(async (dir) => {
    const l = new HostLocalLeases(dir);
    assert.equal(await l.lease('net', r, owner(1), '10.9.0.5'), '10.9.0.5');
    await assert.rejects(l.lease('net', r, owner(2), '10.9.0.5'), (e: unknown) => e instanceof Conflict && /Address already in use/.test(e.message));
    await assert.rejects(l.lease('net', r, owner(2), '10.9.0.1'), Conflict);
    await assert.rejects(l.lease('net', r, owner(2), '10.9.1.5'), (e: unknown) => e instanceof InvalidArgument && /no configured subnet or ip-range contain the IP address 10.9.1.5/.test(e.message));
    await assert.rejects(l.lease('net', { ...r, ipRange: '10.9.0.4/30' }, owner(2), '10.9.0.2'), InvalidArgument);
    await assert.rejects(l.lease('../x', r, owner(2)), InvalidArgument, 'a network name cannot leave the folder');
  }));

test('a full subnet is a clear error; release frees only what the interface held, old id-only files too', () =>
  withDir(async (dir) => {
    const l = new HostLocalLeases(dir);
    // /29: .1 gateway, .2-.6 usable.
    for (let i = 0; i < 5; i++) await l.lease('net', r, owner(i));
    await assert.rejects(l.lease('net', r, owner(9)), (e: unknown) => e instanceof Unavailable && /10.9.0.0\/29 is full/.test(e.message));
    await writeFile(join(dir, 'net', '10.9.0.6'), owner(7).containerId);
    await l.release('net', owner(0, 'eth1'));
    assert.equal((await readdir(join(dir, 'net'))).filter((n) => /^\d/.test(n)).length, 5, 'another interface of the container holds nothing');
    await l.release('net', owner(0));
    await l.release('net', owner(7));
    assert.deepEqual((await readdir(join(dir, 'net'))).filter((n) => /^\d/.test(n)).sort(), ['10.9.0.3', '10.9.0.4', '10.9.0.5']);
    await l.release('gone', owner(1));
  }));

test('concurrent leases on one network each get an address of their own', () =>
  withDir(async (dir) => {
    const l = new HostLocalLeases(dir);
    const wide = { subnet: '10.9.0.0/24', gateway: '10.9.0.1' };
    const got = await Promise.all(Array.from({ length: 30 }, (_, i) => l.lease('net', wide, owner(i % 10, `eth${i}`))));
    assert.equal(new Set(got).size, 30);
    assert.ok(!got.includes('10.9.0.1'));
  }));

test('IPv6 leases of a dual-stack network: their own range set (last_reserved_ip.1), canonical names, released with the IPv4 one', () =>
  withDir(async (dir) => {
    const l = new HostLocalLeases(dir);
    const r6 = { subnet: 'fd00:9::/64', gateway: 'fd00:9::1', rangeSet: 1 };
    assert.equal(await l.lease('net', r, owner(1)), '10.9.0.2');
    assert.equal(await l.lease('net', r6, owner(1)), 'fd00:9::2');
    assert.equal(await l.lease('net', r6, owner(2), 'FD00:9:0:0::00a'), 'fd00:9::a');
    assert.equal(await readFile(join(dir, 'net', 'fd00:9::2'), 'utf8'), `${owner(1).containerId}\r\neth0`);
    assert.equal(await readFile(join(dir, 'net', 'last_reserved_ip.1'), 'utf8'), 'fd00:9::2');
    assert.equal(await readFile(join(dir, 'net', 'last_reserved_ip.0'), 'utf8'), '10.9.0.2');
    await assert.rejects(l.lease('net', r6, owner(3), 'fd00:9::a'), Conflict);
    await assert.rejects(l.lease('net', r6, owner(3), 'fd00:8::a'), InvalidArgument);
    await assert.rejects(l.lease('net', r6, owner(3), '10.9.0.6'), InvalidArgument);
    await l.release('net', owner(1));
    assert.deepEqual((await readdir(join(dir, 'net'))).filter((n) => !n.startsWith('last')).sort(), ['fd00:9::a']);
  }));
