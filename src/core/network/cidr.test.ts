import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, overlaps, parseCidr, pickSubnet, DEFAULT_POOLS } from './cidr.js';

test('parseCidr keeps the address and masks the base; bad input is refused', () => {
  const c = parseCidr('172.17.0.1/16');
  assert.equal(formatCidr(c), '172.17.0.0/16');
  assert.notEqual(c.ip, c.base);
  assert.throws(() => parseCidr('10.1.2.0/33'), /invalid CIDR address: 10\.1\.2\.0\/33/);
  assert.throws(() => parseCidr('10.1.256.0/24'), /invalid CIDR address/);
  assert.throws(() => parseCidr('nonsense'), /invalid CIDR address/);
});

test('overlaps sees containment both ways and leaves neighbours apart', () => {
  assert.equal(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/16')), true);
  assert.equal(overlaps(parseCidr('10.5.0.0/16'), parseCidr('10.0.0.0/8')), true);
  assert.equal(overlaps(parseCidr('10.0.0.0/25'), parseCidr('10.0.0.128/25')), false);
});

test('pickSubnet takes the first free subnet of the pools, as Docker: 172.18 after the default bridge, then 192.168', () => {
  const bridge = parseCidr('172.17.0.0/16');
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, [bridge]) as never), '172.18.0.0/16');
  const all172 = [parseCidr('172.16.0.0/12')];
  assert.equal(formatCidr(pickSubnet(DEFAULT_POOLS, all172) as never), '192.168.0.0/20');
  const pools = [{ base: '10.9.0.0/24', size: 26 }];
  assert.equal(formatCidr(pickSubnet(pools, [parseCidr('10.9.0.0/25')]) as never), '10.9.0.128/26');
  assert.equal(pickSubnet(pools, [parseCidr('10.9.0.0/24')]), undefined);
});
