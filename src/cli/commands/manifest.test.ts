import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRef } from './manifest.js';

test('references as the docker CLI reads them for a registry lookup', () => {
  assert.deepEqual(parseRef('busybox'), { domain: 'docker.io', path: 'library/busybox', ref: 'latest', shown: 'busybox:latest' });
  assert.deepEqual(parseRef('127.0.0.1:5000/a/b:1'), { domain: '127.0.0.1:5000', path: 'a/b', ref: '1', shown: '127.0.0.1:5000/a/b:1' });
  assert.equal(parseRef('localhost/x').domain, 'localhost');
  assert.equal(parseRef('user/img:v2').path, 'user/img');
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseRef(`r.example/x@${d}`).ref, d);
  assert.throws(() => parseRef('r.example/UPPER'), /must be lowercase/);
  assert.throws(() => parseRef('r.example/x@sha256:zz'), /invalid reference format/);
});

test('the local store names lists and entries as the docker CLI does; a list needs each entry\'s platform to be pushed', async () => {
  const { safeName } = await import('./manifest-store.js');
  const { buildList } = await import('./manifest-list.js');
  assert.equal(safeName('127.0.0.1:5000/a/b:1'), '127.0.0.1-5000_a_b-1');
  const e = { Ref: 'r.example/x:1', Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 3 }, Raw: '' };
  assert.throws(() => buildList([e]), /manifest r.example\/x:1 must have an OS and Architecture to be pushed to a registry/);
  const oci = JSON.parse(buildList([{ ...e, Descriptor: { ...e.Descriptor, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } } }]).toString()) as { mediaType: string };
  assert.equal(oci.mediaType, 'application/vnd.oci.image.index.v1+json');
});
