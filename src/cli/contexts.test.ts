import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkContextName, currentContextName, resolveEndpoint, saveContext, selectedContext, setCurrentContext } from './contexts.js';

function withConfig(fn: (env: NodeJS.ProcessEnv, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ctx-unit-'));
  try {
    fn({ DOCKER_CONFIG: dir }, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('which context: --context, then default under -H/DOCKER_HOST, then DOCKER_CONTEXT, then currentContext', () => {
  withConfig((env) => {
    saveContext(env, { Name: 'one', Metadata: {}, Endpoints: { docker: { Host: 'unix:///tmp/one.sock', SkipTLSVerify: false } } });
    assert.equal(selectedContext({}, env), 'default');
    setCurrentContext(env, 'one');
    assert.equal(selectedContext({}, env), 'one');
    assert.equal(selectedContext({}, { ...env, DOCKER_CONTEXT: 'two' }), 'two');
    assert.equal(selectedContext({}, { ...env, DOCKER_HOST: 'unix:///x' }), 'default');
    assert.equal(selectedContext({ host: 'unix:///x' }, env), 'default');
    assert.equal(selectedContext({ context: 'three' }, { ...env, DOCKER_HOST: 'unix:///x' }), 'three');
    assert.deepEqual(resolveEndpoint({}, env), { socketPath: '/tmp/one.sock', autostart: false });
    assert.equal(resolveEndpoint({}, { ...env, DOCKER_HOST: 'unix:///elsewhere.sock' }).socketPath, '/elsewhere.sock');
    assert.throws(() => resolveEndpoint({ context: 'one', host: 'unix:///x' }, env), /cannot specify both --host and --context/);
    assert.throws(() => resolveEndpoint({ context: 'nope' }, env), /context "nope" does not exist/);
  });
});

test('currentContext is written into config.json beside its other keys, and default removes it', () => {
  withConfig((env, dir) => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'r.example': { auth: 'eDp5' } } }));
    setCurrentContext(env, 'one');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg, { auths: { 'r.example': { auth: 'eDp5' } }, currentContext: 'one' });
    assert.equal(currentContextName(env), 'one');
    setCurrentContext(env, 'default');
    assert.equal('currentContext' in (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as object), false);
  });
});

test('context names as the docker CLI checks them', () => {
  checkContextName('dev-1.x+y_z');
  assert.throws(() => checkContextName('default'), /reserved/);
  assert.throws(() => checkContextName('a'), /invalid/);
  assert.throws(() => checkContextName('bad/name'), /invalid, names are validated against regexp/);
});
