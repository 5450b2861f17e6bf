import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, detachKeysFor } from './config-file.js';

async function withConfig(content: string | null, fn: (env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  try {
    if (content !== null) await writeFile(join(dir, 'config.json'), content);
    await fn({ DOCKER_CONFIG: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('configPath: DOCKER_CONFIG, else ~/.docker', () => {
  assert.equal(configPath({ DOCKER_CONFIG: '/x/y' }), '/x/y/config.json');
  assert.match(configPath({ HOME: '/h' }), /\/\.docker\/config\.json$/);
});

test('detachKeysFor: the flag wins, else the config file, else none', async () => {
  await withConfig(JSON.stringify({ detachKeys: 'ctrl-x,y' }), async (env) => {
    assert.equal(await detachKeysFor(env, undefined), 'ctrl-x,y');
    assert.equal(await detachKeysFor(env, ''), 'ctrl-x,y');
    assert.equal(await detachKeysFor(env, 'ctrl-e'), 'ctrl-e');
  });
  await withConfig(JSON.stringify({ auths: {} }), async (env) => {
    assert.equal(await detachKeysFor(env, undefined), undefined);
  });
  await withConfig(null, async (env) => {
    assert.equal(await detachKeysFor(env, undefined), undefined);
  });
});

test('detachKeysFor: a broken config file is named in the error', async () => {
  await withConfig('{not json', async (env) => {
    await assert.rejects(detachKeysFor(env, undefined), /loading config file .*config\.json/);
  });
  await withConfig(JSON.stringify({ detachKeys: 5 }), async (env) => {
    await assert.rejects(detachKeysFor(env, undefined), /detachKeys must be a string/);
  });
});
