import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseUntil } from './containers.js';

test('parseGoDuration reads what Go time.ParseDuration reads', () => {
  assert.equal(parseGoDuration('10m'), 600_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseGoDuration('m'), undefined);
  assert.equal(parseGoDuration('10d'), undefined);
});

test('parseUntil: durations before now, Unix times and RFC 3339 dates; anything else is refused', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.equal(parseUntil('10m', now), now - 600_000);
  assert.equal(parseUntil('1700000000', now), 1_700_000_000_000);
  assert.equal(parseUntil('1700000000.5', now), 1_700_000_000_500);
  assert.equal(parseUntil('2026-01-01T11:00:00Z', now), now - 3_600_000);
  assert.equal(parseUntil('2026-01-01T13:00:00+01:00', now), now);
  assert.throws(() => parseUntil('yesterday', now), /invalid filter 'until=yesterday'/);
});
