import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInputFromWire, healthToWire, parseLink, specFromHostConfig } from './create.js';

test('parseLink: name, name:alias, inspect\'s /name:/parent/alias; bad forms refused', () => {
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('db:web-db'), { name: 'db', alias: 'web-db' });
  assert.deepEqual(parseLink('/db:/app/web-db'), { name: 'db', alias: 'web-db' });
  assert.throws(() => parseLink('a:b:c'), /bad format for links: a:b:c/);
  assert.throws(() => parseLink(''), /empty string specified for links/);
});

test('HostConfig.Links and EndpointsConfig Links become typed links', () => {
  const input = createInputFromWire({ Image: 'busybox', HostConfig: { Links: ['db:d'], NetworkMode: 'n' }, NetworkingConfig: { EndpointsConfig: { n: { Links: ['db:d'] } } } }, null);
  assert.deepEqual(input.links, [{ name: 'db', alias: 'd' }]);
  assert.deepEqual(input.endpoints?.['n']?.links, [{ name: 'db', alias: 'd' }]);
});

test('Config.Healthcheck comes in berth\'s words (StartInterval too) and goes back in Docker\'s order; attach flags only in the view', () => {
  const input = createInputFromWire({ Image: 'busybox', AttachStdout: true, AttachStdin: false, Healthcheck: { Retries: 3, StartInterval: 5e8, Test: ['CMD', 'true'], Interval: 1e9 } }, null);
  assert.deepEqual(input.healthcheck, { test: ['CMD', 'true'], intervalNs: 1e9, startIntervalNs: 5e8, retries: 3 });
  assert.equal(JSON.stringify(healthToWire(input.healthcheck ?? {})), '{"Test":["CMD","true"],"Interval":1000000000,"StartInterval":500000000,"Retries":3}');
  assert.deepEqual(input.views?.['dockerConfig'], { AttachStdout: true });
  assert.equal(createInputFromWire({ Image: 'busybox', AttachStdin: false }, null).views, undefined, 'nothing kept when no flag is set');
});

test('HostConfig.StorageOpt: size in Docker\'s units into the spec, kept as given for inspect; other keys and bad sizes refused in dockerd\'s words', () => {
  const spec = specFromHostConfig({ StorageOpt: { Size: '20M' } }, {});
  assert.equal(spec.rootfs.sizeLimit, 20 * 1024 * 1024);
  assert.deepEqual(spec.rootfs.driverOptions, { Size: '20M' });
  assert.equal(specFromHostConfig({ StorageOpt: { size: '1.5g' } }, {}).rootfs.sizeLimit, 1.5 * 1024 ** 3);
  assert.equal(specFromHostConfig({ StorageOpt: { size: '4096' } }, {}).rootfs.sizeLimit, 4096);
  assert.equal(specFromHostConfig({ StorageOpt: {} }, {}).rootfs.sizeLimit, undefined);
  assert.equal(specFromHostConfig({ StorageOpt: null }, {}).rootfs.driverOptions, undefined);
  assert.throws(() => specFromHostConfig({ StorageOpt: { inodes: '10' } }, {}), /^InvalidArgument: Unknown option inodes$|Unknown option inodes/);
  assert.throws(() => specFromHostConfig({ StorageOpt: { size: 'big' } }, {}), /invalid size: 'big'/);
  assert.throws(() => specFromHostConfig({ StorageOpt: ['size=1G'] }, {}), /StorageOpt must be an object/);
});
