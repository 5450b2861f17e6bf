import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../errdefs/index.js';
import { familiarName, familiarString, formatReference, normalizeReference, parseReference } from './reference.js';
import { hostPlatform, ociArchitecture, platformMatches } from './platform.js';

const HEX = 'a'.repeat(64);

test('normalizes familiar names like Docker', () => {
  const cases: [string, string, string][] = [
    // input, full (with default tag), familiar string
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox:x', 'docker.io/library/busybox:x', 'busybox:x'],
    ['user/repo', 'docker.io/user/repo:latest', 'user/repo:latest'],
    ['user/repo/sub:Tag_1.0-x', 'docker.io/user/repo/sub:Tag_1.0-x', 'user/repo/sub:Tag_1.0-x'],
    ['localhost/foo', 'localhost/foo:latest', 'localhost/foo:latest'],
    ['localhost:5000/foo/bar:v1', 'localhost:5000/foo/bar:v1', 'localhost:5000/foo/bar:v1'],
    ['example.com/a', 'example.com/a:latest', 'example.com/a:latest'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000/a:latest', '127.0.0.1:5000/a:latest'],
    ['[::1]:5000/a', '[::1]:5000/a:latest', '[::1]:5000/a:latest'],
    ['Registry/repo', 'Registry/repo:latest', 'Registry/repo:latest'],
    ['a__b/c-d--e.f', 'docker.io/a__b/c-d--e.f:latest', 'a__b/c-d--e.f:latest'],
    [`busybox@sha256:${HEX}`, `docker.io/library/busybox@sha256:${HEX}`, `busybox@sha256:${HEX}`],
    [`busybox:1@sha256:${HEX}`, `docker.io/library/busybox:1@sha256:${HEX}`, `busybox:1@sha256:${HEX}`],
    [`localhost:5000/x@sha256:${HEX}`, `localhost:5000/x@sha256:${HEX}`, `localhost:5000/x@sha256:${HEX}`],
  ];
  for (const [input, full, familiar] of cases) {
    const r = parseReference(input, { defaultTag: true });
    assert.equal(formatReference(r), full, input);
    assert.equal(familiarString(r), familiar, input);
    assert.equal(normalizeReference(input), full, input);
  }
});

test('parts and familiar names', () => {
  assert.deepEqual(parseReference('busybox'), { domain: 'docker.io', path: 'library/busybox' });
  assert.deepEqual(parseReference('busybox', { defaultTag: true }), { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  assert.deepEqual(parseReference('localhost:5000/x:1'), { domain: 'localhost:5000', path: 'x', tag: '1' });
  const d = parseReference(`busybox@sha256:${HEX}`, { defaultTag: true });
  assert.equal(d.tag, undefined, 'a digest reference gets no default tag');
  assert.equal(d.digest, `sha256:${HEX}`);
  assert.equal(familiarName(parseReference('docker.io/library/busybox')), 'busybox');
  assert.equal(familiarName(parseReference('docker.io/library/a/b')), 'library/a/b');
  assert.equal(familiarName(parseReference('user/repo:1')), 'user/repo');
  assert.equal(familiarName(parseReference('localhost:5000/x')), 'localhost:5000/x');
  assert.equal(familiarName(parseReference('localhost/library/x')), 'localhost/library/x');
});

test('refuses invalid references with Docker wording', () => {
  const bad = ['', 'Busybox', 'docker.io/Library/busybox', 'user/Repo', 'busybox:', ':tag', 'a//b', 'busybox:tag:tag', '-busybox',
    'busybox-', 'a/b_', 'a..b', 'busybox:' + 'x'.repeat(129), 'busybox@sha256:abc', 'busybox@md5:' + 'a'.repeat(32), 'foo bar',
    'localhost:port/x', 'x/' + 'a'.repeat(260)];
  for (const s of bad) {
    assert.throws(() => parseReference(s), (e: unknown) => e instanceof InvalidArgument && /invalid reference format/.test(e.message), s);
  }
  assert.throws(() => parseReference('Busybox'), /repository name \(library\/Busybox\) must be lowercase/);
  assert.throws(() => parseReference(HEX), /cannot specify 64-byte hexadecimal strings/);
  // An uppercase tag is fine; only the repository must be lowercase.
  assert.equal(parseReference('busybox:LATEST').tag, 'LATEST');
});

test('platform helpers', () => {
  assert.equal(ociArchitecture('x64'), 'amd64');
  assert.equal(ociArchitecture('ia32'), '386');
  assert.equal(hostPlatform().os, 'linux');
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm', variant: 'v6' }));
  assert.ok(platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64', variant: 'v3' }));
});
