import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, containerStatusText, formatG, humanDuration, humanSizeWithPrecision, ramInBytes } from './units.js';

test('humanDuration matches go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(3000), '3 seconds');
  assert.equal(humanDuration(65_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(60 * 60_000), 'About an hour');
  assert.equal(humanDuration(3 * 3600_000), '3 hours');
  assert.equal(humanDuration(3 * 86400_000), '3 days');
  assert.equal(humanDuration(15 * 86400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86400_000), '3 months');
  assert.equal(humanDuration(800 * 86400_000), '2 years');
});

test('sizes use 3 significant digits and decimal units', () => {
  assert.equal(humanSizeWithPrecision(4_270_000, 3), '4.27MB');
  assert.equal(humanSizeWithPrecision(4_266_000, 3), '4.27MB');
  assert.equal(humanSizeWithPrecision(1_000_000, 3), '1MB');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(999, 3), '999B');
  assert.equal(humanSizeWithPrecision(1234, 3), '1.23kB');
  assert.equal(humanSizeWithPrecision(999_999, 3), '1e+03kB');
  assert.equal(formatG(1.5, 3), '1.5');
  assert.equal(bytesSize(2048), '2KiB');
  assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('x'), undefined);
});

test('container status text as the daemon reports it', () => {
  const now = Date.parse('2024-01-01T00:00:10Z');
  const base = { Running: false, Paused: false, Restarting: false, Dead: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' };
  assert.equal(containerStatusText(base, now), 'Created');
  assert.equal(containerStatusText({ ...base, Running: true, StartedAt: '2024-01-01T00:00:08Z' }, now), 'Up 2 seconds');
  assert.equal(containerStatusText({ ...base, Running: true, Paused: true, StartedAt: '2024-01-01T00:00:09Z' }, now), 'Up 1 second (Paused)');
  assert.equal(containerStatusText({ ...base, ExitCode: 3, StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '2024-01-01T00:00:05Z' }, now), 'Exited (3) 5 seconds ago');
});

test('API version comparison and negotiation', async () => {
  const { compareApiVersions, negotiateApiVersion } = await import('./version.js');
  assert.equal(compareApiVersions('1.41', '1.43'), -1);
  assert.equal(compareApiVersions('1.43', '1.43'), 0);
  assert.equal(compareApiVersions('1.100', '1.43'), 1);
  assert.equal(negotiateApiVersion('1.50', '1.43'), '1.43');
  assert.equal(negotiateApiVersion('1.41', '1.43'), '1.41');
  assert.equal(negotiateApiVersion('1.41', ''), '1.41');
});
