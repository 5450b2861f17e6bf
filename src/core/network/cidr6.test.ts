import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddr, formatIp6, isLinkLocal, parseIp6, parsePrefix, pickSubnet6, prefixesOverlap, ulaPool } from './cidr6.js';

test('IPv6 text parses and prints as RFC 5952 (Go net.IP) has it', () => {
  for (const [input, want] of [
    ['fd00::5', 'fd00::5'],
    ['FD00:0:0:0:0:0:0:05', 'fd00::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::ffff:10.1.2.3', '::ffff:a01:203'],
  ] as const) assert.equal(canonicalAddr(input), want, input);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'fd00::g', '12345::', ':1', '1.2.3']) assert.equal(parseIp6(bad), undefined, bad);
  assert.equal(formatIp6(parseIp6('fd12:3456:789a:1::1') as bigint), 'fd12:3456:789a:1::1');
});

test('IPv6 prefixes: overlap, link-local, pools, the unique local /48 of an engine', () => {
  assert.ok(prefixesOverlap(parsePrefix('fd00:1::/64'), parsePrefix('fd00:1::8:0/112')));
  assert.ok(!prefixesOverlap(parsePrefix('fd00:1::/64'), parsePrefix('fd00:2::/64')));
  assert.ok(!prefixesOverlap(parsePrefix('fd00:1::/64'), parsePrefix('10.0.0.0/8')));
  assert.throws(() => parsePrefix('fd00::/129'), /invalid CIDR/);
  assert.ok(isLinkLocal('fe80::10') && isLinkLocal('169.254.3.4') && !isLinkLocal('fd00::1') && !isLinkLocal('10.0.0.1'));
  const pool = ulaPool('engine-a');
  assert.match(pool.base, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48$/);
  assert.equal(ulaPool('engine-a').base, pool.base);
  assert.notEqual(ulaPool('engine-b').base, pool.base);
  const first = pickSubnet6([pool], []);
  assert.equal(first && `${formatIp6(first.base)}/${first.prefix}`, pool.base.replace('/48', '/64'));
  const second = pickSubnet6([{ base: 'fd00:9::/48', size: 64 }], [parsePrefix('fd00:9::/64')]);
  assert.equal(second && formatIp6(second.base), 'fd00:9:0:1::');
});
