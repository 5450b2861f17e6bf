import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvent, toUnixSeconds } from './events.js';

test('events print as docker prints them', () => {
  const line = formatEvent({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } }, time: 1700000000, timeNano: 1700000000123456789 });
  assert.match(line, /^2023-11-14T22:13:20\.1234567\d\dZ container start abc \(image=busybox, name=web\)$/);
  assert.equal(toUnixSeconds('1700000000'), '1700000000');
  assert.equal(toUnixSeconds('10m', 1_700_000_000_000), String(1_700_000_000 - 600));
  assert.equal(toUnixSeconds('2023-11-14T22:13:20Z'), '1700000000');
});
