import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, stripVersion } from './router.js';

test('routes segments and rest-of-path parameters', () => {
  const r = new Router<string>()
    .add('GET', '/containers/{id}/json', 'inspect')
    .add('GET', '/images/{name:.*}/json', 'image')
    .add('POST', '/images/{name:.*}/tag', 'tag');
  assert.deepEqual(r.match('GET', '/containers/abc/json'), { handler: 'inspect', params: { id: 'abc' } });
  assert.deepEqual(r.match('GET', '/images/localhost:5000/a/b:1/json'), {
    handler: 'image',
    params: { name: 'localhost:5000/a/b:1' },
  });
  assert.deepEqual(r.match('HEAD', '/images/x/json'), { handler: 'image', params: { name: 'x' } });
  assert.equal(r.match('GET', '/containers/abc/nope'), 'not-found');
  assert.equal(r.match('POST', '/containers/abc/json'), 'method-not-allowed');
  assert.deepEqual(r.match('GET', '/containers/a%20b/json'), { handler: 'inspect', params: { id: 'a b' } });
});

test('strips the API version prefix', () => {
  assert.deepEqual(stripVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(stripVersion('/_ping'), { version: null, path: '/_ping' });
});
