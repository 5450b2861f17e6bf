import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInputFromWire, parseLink } from './create.js';

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
