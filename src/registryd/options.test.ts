import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parseAccessRule, parseAddr, parseDuration, parseOptions, parseUpstream } from './options.js';

test('serve flags, defaults and errors', () => {
  assert.deepEqual(parseOptions(['serve'], { HOME: '/home/u' }), { command: 'serve', host: '127.0.0.1', port: 5000, root: '/home/u/.local/share/berth/registry', readOnly: false, accessLog: true, auth: 'none', anonymousPull: false, access: [], proxies: [], gcIntervalMs: 0, graceMs: 3_600_000, uploadMaxAgeMs: 604_800_000 });
  assert.throws(() => parseOptions(['serve', '--auth', 'token'], {}), /needs --htpasswd/);
  const o = parseOptions(['serve', '--addr=0.0.0.0:0', '--root', '/r', '--read-only'], {});
  assert.ok(o !== 'help' && o.command === 'serve' && o.port === 0 && o.host === '0.0.0.0' && o.root === '/r' && o.readOnly);
  assert.throws(() => parseOptions(['serve', '--bogus'], {}), /unknown flag/);
  assert.throws(() => parseOptions(['gc', '--addr', 'x:1'], {}), /unknown flag/);
  assert.equal(parseOptions(['--help'], {}), 'help');
});

test('gc flags, durations and addresses', () => {
  const o = parseOptions(['gc', '--root', '/r', '--dry-run', '--grace', '30m'], {});
  assert.ok(o !== 'help' && o.command === 'gc' && o.dryRun && o.graceMs === 1_800_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.throws(() => parseDuration('soon'), /invalid duration/);
  assert.deepEqual(parseAddr('[::1]:5000'), { host: '::1', port: 5000 });
  assert.throws(() => parseAddr('localhost'), /HOST:PORT/);
});

test('pull-through upstreams', () => {
  assert.deepEqual(parseUpstream('http://127.0.0.1:5000'), { url: 'http://127.0.0.1:5000', prefix: null });
  assert.deepEqual(parseUpstream('hub=https://u:p%40ss@registry-1.docker.io'), { url: 'https://registry-1.docker.io', prefix: 'hub', username: 'u', password: 'p@ss' });
  assert.throws(() => parseUpstream('ftp://x'), /only http/);
});

test('--config supplies settings that command-line flags override', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-config-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ addr: '127.0.0.1:6000', root: '/cfg', readOnly: true, proxy: ['hub=https://registry-1.docker.io'], gc: { grace: '2h' } }));
    const s = parseOptions(['serve', '--config', file, '--addr', '127.0.0.1:7000'], {});
    assert.ok(s !== 'help' && s.command === 'serve');
    assert.equal(s.port, 7000);
    assert.equal(s.root, '/cfg');
    assert.equal(s.readOnly, true);
    assert.deepEqual(s.proxies, [{ url: 'https://registry-1.docker.io', prefix: 'hub' }]);
    const g = parseOptions(['gc', `--config=${file}`], {});
    assert.ok(g !== 'help' && g.command === 'gc' && g.graceMs === 7_200_000 && g.root === '/cfg');
    writeFileSync(file, '{"tls": 3}');
    assert.throws(() => parseOptions(['serve', '--config', file], {}), /tls must be an object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('access rules: USER:REPOS:ACTIONS, refused without users', () => {
  assert.deepEqual(parseAccessRule('alice:team/*:pull,push'), { user: 'alice', repos: 'team/*', actions: ['pull', 'push'] });
  assert.deepEqual(parseAccessRule('*:*:*'), { user: '*', repos: '*', actions: ['*'] });
  assert.throws(() => parseAccessRule('alice:team/*'), /three colon-separated parts/);
  assert.throws(() => parseAccessRule('alice:team/*:pull,write'), /unknown action "write"/);
  assert.throws(() => parseAccessRule('alice:Team/*:pull'), /repository pattern/);
  assert.throws(() => parseOptions(['serve', '--access', 'alice:*:pull'], {}), /need users/);
  const o = parseOptions(['serve', '--htpasswd', '/h', '--access', 'alice:team/*:pull,push', '--access=*:*:pull'], {});
  assert.ok(o !== 'help' && o.command === 'serve');
  assert.equal(o.access.length, 2);
});

test('--config in YAML: berth keys, distribution config.yml keys, and errors with line numbers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-config-'));
  try {
    const berth = join(dir, 'berth.yaml');
    writeFileSync(
      berth,
      `addr: 127.0.0.1:6001
root: /cfg
auth:
  htpasswd: /etc/htpasswd
  mode: token
  access:
    - user: alice
      repos: team/*
      actions: [pull, push]
    - { user: "*", repos: "*", actions: [pull] }
proxy:
  - hub=https://registry-1.docker.io
`,
    );
    const b = parseOptions(['serve', '--config', berth], {});
    assert.ok(b !== 'help' && b.command === 'serve');
    assert.equal(b.port, 6001);
    assert.equal(b.auth, 'token');
    assert.deepEqual(b.access, [{ user: 'alice', repos: 'team/*', actions: ['pull', 'push'] }, { user: '*', repos: '*', actions: ['pull'] }]);
    assert.deepEqual(b.proxies, [{ url: 'https://registry-1.docker.io', prefix: 'hub' }]);

    const dist = join(dir, 'config.yml');
    writeFileSync(
      dist,
      `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
  maintenance:
    readonly:
      enabled: true
http:
  addr: :5001
  tls:
    certificate: /certs/domain.crt
    key: /certs/domain.key
auth:
  htpasswd:
    realm: Registry Realm
    path: /auth/htpasswd
proxy:
  remoteurl: https://registry-1.docker.io
  username: bob
  password: "p@ss"
`,
    );
    const d = parseOptions(['serve', '--config', dist], {});
    assert.ok(d !== 'help' && d.command === 'serve');
    assert.deepEqual(
      { host: d.host, port: d.port, root: d.root, readOnly: d.readOnly, htpasswd: d.htpasswd, realm: d.realm, auth: d.auth, tlsCert: d.tlsCert, tlsKey: d.tlsKey, proxies: d.proxies },
      { host: '0.0.0.0', port: 5001, root: '/var/lib/registry', readOnly: true, htpasswd: '/auth/htpasswd', realm: 'Registry Realm', auth: 'basic', tlsCert: '/certs/domain.crt', tlsKey: '/certs/domain.key', proxies: [{ url: 'https://registry-1.docker.io', prefix: null, username: 'bob', password: 'p@ss' }] },
    );
    // Content decides when the extension does not: YAML without .yml, JSON without .json.
    const noext = join(dir, 'settings');
    writeFileSync(noext, 'root: /plain\n');
    const p = parseOptions(['gc', '--config', noext], {});
    assert.ok(p !== 'help' && p.root === '/plain');
    writeFileSync(noext, '{"root": "/json"}');
    const j = parseOptions(['gc', '--config', noext], {});
    assert.ok(j !== 'help' && j.root === '/json');

    writeFileSync(dist, 'http:\n  addr: 1.2.3.4:5\n  addr: 1.2.3.4:6\n');
    assert.throws(() => parseOptions(['serve', '--config', dist], {}), /config\.yml: line 3: duplicate key "addr"/);
    writeFileSync(dist, 'notifications:\n  endpoints: []\n');
    assert.throws(() => parseOptions(['serve', '--config', dist], {}), /unknown key notifications \(known: version, log/);
    writeFileSync(dist, 'auth:\n  access:\n    - user: alice\n      repos: x\n      actions: [pull, fly]\n');
    assert.throws(() => parseOptions(['serve', '--config', dist], {}), /unknown action "fly"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
