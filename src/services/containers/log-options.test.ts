import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { createLogOpts, logRotationOf } from './log-options.js';
import { checkLogConfig, fileRotation } from './log-drivers.js';

function rec(logType: string, logOpts?: Record<string, string>): ContainerRecord {
  return { spec: { logging: { driver: logType, ...(logOpts ? { options: logOpts } : {}) } } } as unknown as ContainerRecord;
}

test('a new container keeps the options it asked for (over the daemon ones for its driver), never berth defaults', () => {
  assert.deepEqual(createLogOpts('json-file', {}, undefined), {});
  assert.deepEqual(createLogOpts('json-file', { 'max-size': '1m' }, { 'max-file': '2' }), { 'max-size': '1m', 'max-file': '2' });
  assert.deepEqual(createLogOpts('', { 'max-size': '1m' }, undefined, 'local'), { 'max-size': '1m' }, 'no driver: the daemon one, with its options');
  assert.deepEqual(createLogOpts('local', { 'max-size': '1m' }, undefined), {}, 'daemon options go only to the daemon driver, as dockerd does');
  assert.deepEqual(createLogOpts('none', {}, { anything: 'x' }), { anything: 'x' }, 'dockerd checks no options of none');
  assert.throws(() => createLogOpts('json-file', {}, { 'max-size': 'abc' }), /invalid size: 'abc'/);
  assert.throws(() => createLogOpts('json-file', {}, { bogus: '1' }), /unknown log opt 'bogus' for json-file log driver/);
  assert.throws(() => createLogOpts('local', {}, { tag: 'x' }), /unknown log opt 'tag' for local log driver/);
});

test('drivers: unknown ones and the ones berth does not run are refused by name; mode and max-buffer-size checked', () => {
  assert.throws(() => checkLogConfig('nope', {}), /no log driver named 'nope' is registered/);
  for (const d of ['gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs']) assert.throws(() => checkLogConfig(d, {}), new RegExp(`logging driver ${d} is not supported by berth`));
  assert.throws(() => checkLogConfig('json-file', { mode: 'fast' }), /log mode 'fast' is not supported/);
  assert.throws(() => checkLogConfig('json-file', { 'max-buffer-size': '1m' }), /only supported with 'mode=non-blocking'/);
  checkLogConfig('json-file', { mode: 'non-blocking', 'max-buffer-size': '4k', tag: '{{.Name}}', labels: 'a' });
  assert.throws(() => checkLogConfig('json-file', { tag: '{{.Bad}}' }), /no field \.Bad/);
  assert.throws(() => checkLogConfig('syslog', { 'syslog-tls-ca-cert': '/ca' }), /syslog-tls-ca-cert/);
  assert.deepEqual(fileRotation('local', {}), { maxSize: 20 << 20, maxFile: 5, compress: true });
  assert.deepEqual(fileRotation('json-file', { 'max-size': '1k', 'max-file': '2', compress: 'true' }), { maxSize: 1024, maxFile: 2, compress: true });
});

test('conmon keeps a small log of its own unless it is the driver (k8s-file): then the options rotate it', () => {
  const mib = 1024 * 1024;
  assert.deepEqual(logRotationOf(rec('json-file', { 'max-size': '1k' }), {}), { maxSize: 4 * mib, maxFile: 2 });
  assert.deepEqual(logRotationOf(rec('k8s-file', {}), {}), { maxSize: 20 * mib, maxFile: 5 });
  assert.deepEqual(logRotationOf(rec('k8s-file', { 'max-size': '100k' }), {}), { maxSize: 100 * 1024, maxFile: 5 });
  assert.deepEqual(logRotationOf(rec('k8s-file'), { 'max-file': '2' }, 'k8s-file'), { maxSize: 20 * mib, maxFile: 2 });
  assert.deepEqual(logRotationOf(rec('none', { anything: 'x' }), {}), { maxSize: mib, maxFile: 1 }, 'none keeps one small file, for attach');
});
