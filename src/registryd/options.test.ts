import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parseAddr, parseDuration, parseOptions, parseUpstream } from './options.js';

test('serve flags, defaults and errors', () => {
  assert.deepEqual(parseOptions(['serve'], { HOME: '/home/u' }), { command: 'serve', host: '127.0.0.1', port: 5000, root: '/home/u/.local/share/berth/registry', readOnly: false, accessLog: true, auth: 'none', anonymousPull: false, proxies: [], gcIntervalMs: 0, graceMs: 3_600_000, uploadMaxAgeMs: 604_800_000 });
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
