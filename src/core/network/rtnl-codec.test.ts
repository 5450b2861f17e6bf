import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, NLMSG_ERROR, decodeAttrs, decodeMessages, encodeAttrs, errorCode, ifinfo, mac, macText, message, str, u32 } from './rtnl-codec.js';
import { hostVethName, macForIp } from './veth-endpoints.js';

test('attributes: length, type, 4-byte padding and nesting as the kernel lays them out', () => {
  const b = encodeAttrs([
    { type: IFLA_IFNAME, data: str('eth0') },
    { type: IFLA_LINKINFO, data: [{ type: IFLA_INFO_KIND, data: str('veth') }] },
  ]);
  // "eth0\0" is 5 bytes: header 4 + 5 = 9, padded to 12.
  assert.equal(b.readUInt16LE(0), 9);
  assert.equal(b.readUInt16LE(2), IFLA_IFNAME);
  assert.equal(b.readUInt16LE(12 + 2), IFLA_LINKINFO | 0x8000, 'nested flag');
  const top = decodeAttrs(b);
  assert.equal(top.get(IFLA_IFNAME)?.toString(), 'eth0\0');
  assert.equal(decodeAttrs(top.get(IFLA_LINKINFO) as Buffer).get(IFLA_INFO_KIND)?.toString(), 'veth\0');
});

test('messages: a header of 16 bytes, several per datagram, and the errno of an error answer', () => {
  const m = message(16, 0x5, 7, ifinfo({ index: 3 }));
  assert.equal(m.readUInt32LE(0), 32);
  const err = Buffer.alloc(20);
  err.writeUInt32LE(20, 0);
  err.writeUInt16LE(NLMSG_ERROR, 4);
  err.writeUInt32LE(7, 8);
  err.writeInt32LE(-17, 16);
  const all = decodeMessages(Buffer.concat([m, err]));
  assert.deepEqual(all.map((a) => [a.type, a.seq]), [[16, 7], [NLMSG_ERROR, 7]]);
  assert.equal(errorCode(all[1] as (typeof all)[number]), 17);
  assert.deepEqual(decodeMessages(Buffer.alloc(10)), [], 'a cut datagram holds no message');
  assert.deepEqual(decodeAttrs(Buffer.from([0xff, 0, 1, 0])), new Map(), 'an attribute longer than its buffer ends the list');
  assert.equal(u32(0xfffffffe).readUInt32LE(0), 0xfffffffe);
});

test('MAC addresses: text and bytes, and Docker\'s 02:42 address of an IPv4 address', () => {
  assert.equal(macText(mac('02:42:ac:11:00:02')), '02:42:ac:11:00:02');
  assert.equal(macForIp('172.17.0.2'), '02:42:ac:11:00:02');
  assert.equal(macForIp('10.0.255.254'), '02:42:0a:00:ff:fe');
});

test("a host veth's name fits IFNAMSIZ, and differs per container and interface", () => {
  const id = 'a'.repeat(64);
  const n = hostVethName(id, 'eth0');
  assert.match(n, /^veth[0-9a-f]{11}$/);
  assert.ok(n.length <= 15);
  assert.notEqual(n, hostVethName(id, 'eth1'));
  assert.notEqual(n, hostVethName('b'.repeat(64), 'eth0'));
});
