import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { createLogOpts, logRotationOf } from './log-options.js';

function rec(logType: string, logOpts?: Record<string, string>): ContainerRecord {
  return { spec: { logging: { driver: logType, ...(logOpts ? { options: logOpts } : {}) } } } as unknown as ContainerRecord;
}

test('a new container keeps the options it asked for (over the daemon ones for json-file), never berth defaults', () => {
  assert.deepEqual(createLogOpts('json-file', {}, undefined), {});
  assert.deepEqual(createLogOpts('json-file', { 'max-size': '1m' }, { 'max-file': '2' }), { 'max-size': '1m', 'max-file': '2' });
  assert.deepEqual(createLogOpts('local', { 'max-size': '1m' }, undefined), {}, 'daemon options go only to the daemon driver, as dockerd does');
  assert.deepEqual(createLogOpts('none', {}, { anything: 'x' }), { anything: 'x' }, 'dockerd checks no options of none');
  assert.throws(() => createLogOpts('json-file', {}, { 'max-size': 'abc' }), /invalid size: 'abc'/);
  assert.throws(() => createLogOpts('json-file', {}, { bogus: '1' }), /unknown log opt 'bogus'/);
});

test('the rotation is computed at use: defaults under daemon under own; old records with defaults written in give the same', () => {
  const mib = 1024 * 1024;
  assert.deepEqual(logRotationOf(rec('json-file', {}), {}), { maxSize: 20 * mib, maxFile: 5 });
  assert.deepEqual(logRotationOf(rec('json-file'), { 'max-file': '2' }), { maxSize: 20 * mib, maxFile: 2 });
  assert.deepEqual(logRotationOf(rec('json-file', { 'max-size': '20m', 'max-file': '5' }), {}), { maxSize: 20 * mib, maxFile: 5 });
  assert.deepEqual(logRotationOf(rec('json-file', { 'max-size': '100k' }), { 'max-size': '1m' }), { maxSize: 100 * 1024, maxFile: 5 });
  assert.deepEqual(logRotationOf(rec('none', { anything: 'x' }), {}), { maxSize: mib, maxFile: 1 }, 'none keeps one small file, for attach');
});
