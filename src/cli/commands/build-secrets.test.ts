import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecret, parseSsh, readSecrets, secretsHeader } from './build-secrets.js';

test('--secret: src, source, env and type as buildx reads them', () => {
  assert.deepEqual(parseSecret('id=tok,src=/f'), { id: 'tok', file: '/f' });
  assert.deepEqual(parseSecret('id=tok,source=/f,type=file'), { id: 'tok', file: '/f' });
  assert.deepEqual(parseSecret('id=tok,env=TOKEN'), { id: 'tok', env: 'TOKEN' });
  assert.deepEqual(parseSecret('id=TOKEN,type=env'), { id: 'TOKEN', env: 'TOKEN' });
  assert.deepEqual(parseSecret('id=tok'), { id: 'tok' });
  assert.throws(() => parseSecret('src=/f'), /id= is required/);
  assert.throws(() => parseSecret('id=tok,colour=red'), /unexpected key "colour"/);
  assert.throws(() => parseSecret('id=a/b,src=/f'), /invalid secret id/);
});

test('secret values: from a file or a variable, a missing one named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), 's3cr3t');
  const v = await readSecrets([{ id: 'a', file: join(dir, 'f') }, { id: 'b', env: 'B' }], { B: 'bee' });
  assert.deepEqual(v, { a: Buffer.from('s3cr3t').toString('base64'), b: Buffer.from('bee').toString('base64') });
  await assert.rejects(readSecrets([{ id: 'a', file: join(dir, 'nope') }], {}), /secret a: no such file/);
  await assert.rejects(readSecrets([{ id: 'b', env: 'B' }], {}), /variable B is not set/);
  assert.equal(secretsHeader({}), undefined);
  assert.deepEqual(JSON.parse(Buffer.from(secretsHeader(v) as string, 'base64').toString()), v);
  assert.throws(() => secretsHeader({ a: 'x'.repeat(20000) }), /too large/);
});

test('--ssh: a socket is required, default takes SSH_AUTH_SOCK', async () => {
  await assert.rejects(parseSsh(['default'], {}), /SSH_AUTH_SOCK is not set/);
  await assert.rejects(parseSsh(['default=/etc/passwd'], {}), /not an SSH agent socket/);
  await assert.rejects(parseSsh(['x=/nope'], {}), /no such file/);
});
