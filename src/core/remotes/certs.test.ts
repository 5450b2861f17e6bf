import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHostTls } from './certs.js';

test('certs.d: *.crt are CAs from every dir, NAME.cert needs NAME.key and the reverse, nothing gives undefined', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-certs-'));
  try {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(join(a, 'reg:5000'), { recursive: true });
    mkdirSync(join(b, 'reg:5000'), { recursive: true });
    writeFileSync(join(a, 'reg:5000', 'ca.crt'), 'CA-A');
    writeFileSync(join(b, 'reg:5000', 'other.crt'), 'CA-B');
    writeFileSync(join(b, 'reg:5000', 'client.cert'), 'CERT');
    writeFileSync(join(b, 'reg:5000', 'client.key'), 'KEY');
    const tls = readHostTls([a, b], 'reg:5000');
    assert.deepEqual(tls?.ca.map(String), ['CA-A', 'CA-B']);
    assert.equal(String(tls?.cert), 'CERT');
    assert.equal(String(tls?.key), 'KEY');
    const before = tls?.fingerprint;
    writeFileSync(join(a, 'reg:5000', 'ca.crt'), 'CA-A2');
    assert.notEqual(readHostTls([a, b], 'reg:5000')?.fingerprint, before, 'changed files, new fingerprint');
    assert.equal(readHostTls([a, b], 'other:1'), undefined);
    rmSync(join(b, 'reg:5000', 'client.cert'));
    assert.throws(() => readHostTls([a, b], 'reg:5000'), /missing client certificate client.cert/);
    writeFileSync(join(b, 'reg:5000', 'client.cert'), 'CERT');
    rmSync(join(b, 'reg:5000', 'client.key'));
    assert.throws(() => readHostTls([a, b], 'reg:5000'), /missing key client.key/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
