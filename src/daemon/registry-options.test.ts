import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from './options.js';

test('daemon.json registry keys: registry-mirrors (list or per-domain map), insecure-registries, max-concurrent-downloads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-reg-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ 'registry-mirrors': ['https://mirror.example.com'], 'insecure-registries': ['10.0.0.0/8'], 'max-concurrent-downloads': 6 }));
    const o = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof o === 'object');
    assert.deepEqual(o.registryMirrors, { 'docker.io': ['https://mirror.example.com'] });
    assert.deepEqual(o.insecureRegistries, ['10.0.0.0/8']);
    assert.equal(o.maxConcurrentDownloads, 6);
    await writeFile(cfg, JSON.stringify({ 'registry-mirrors': { 'quay.io': ['http://127.0.0.1:5001'] } }));
    const m = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof m === 'object');
    assert.deepEqual(m.registryMirrors, { 'quay.io': ['http://127.0.0.1:5001'] });
    assert.deepEqual(m.insecureRegistries, []);
    assert.equal(m.maxConcurrentDownloads, 3, "Docker's default");
    // The flag wins over daemon.json, as dockerd's flags do; a bad count is refused.
    const f = await loadOptions(['--config-file', cfg, '--max-concurrent-downloads', '2'], {});
    assert.ok(typeof f === 'object');
    assert.equal(f.maxConcurrentDownloads, 2);
    await assert.rejects(loadOptions(['--config-file', cfg, '--max-concurrent-downloads', '0'], {}), /max-concurrent-downloads.*positive integer/);
    await writeFile(cfg, JSON.stringify({ 'insecure-registries': 'x' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /insecure-registries must be a list/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('push keys: max-concurrent-uploads (flag over daemon.json, default 5), push-chunk-threshold/size, BERTH_CERTS_DIRS', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-opt-push-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, '{}');
    const d = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof d === 'object');
    assert.equal(d.maxConcurrentUploads, 5);
    assert.ok(d.pushChunkThreshold > 0 && d.pushChunkSize > 0);
    assert.deepEqual(d.certsDirs, ['/etc/berth/certs.d', '/etc/docker/certs.d']);
    await writeFile(cfg, JSON.stringify({ 'max-concurrent-uploads': 3, 'push-chunk-threshold': 0, 'push-chunk-size': 1048576 }));
    const f = await loadOptions(['--config-file', cfg], { BERTH_CERTS_DIRS: '/a:/b' });
    assert.ok(typeof f === 'object');
    assert.equal(f.maxConcurrentUploads, 3);
    assert.equal(f.pushChunkThreshold, 0);
    assert.equal(f.pushChunkSize, 1048576);
    assert.deepEqual(f.certsDirs, ['/a', '/b']);
    const flag = await loadOptions(['--max-concurrent-uploads', '7'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flag === 'object');
    assert.equal(flag.maxConcurrentUploads, 7);
    await assert.rejects(loadOptions(['--config-file', cfg, '--max-concurrent-uploads', '7'], {}), /specified both as a flag and in the configuration file: max-concurrent-uploads: \(from flag: 7, from file: 3\)/);
    await assert.rejects(loadOptions(['--max-concurrent-uploads', '0'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') }), /--max-concurrent-uploads must be a positive integer/);
    await writeFile(cfg, JSON.stringify({ 'push-chunk-size': 'big' }));
    await assert.rejects(loadOptions(['--config-file', cfg], {}), /push-chunk-size must be a positive integer/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
