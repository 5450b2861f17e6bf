import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeForHandler, type PodRuntimes } from './runtime-handler.js';

const catalog = (defaultName: string): PodRuntimes => {
  const all = [{ name: 'runc' }, { name: 'crun', unavailable: 'cgroups in hybrid mode not supported' }, { name: 'logged' }];
  return { defaultName, get: (n) => all.find((r) => r.name === n), list: () => all };
};

test('a handler names one of the runtimes; "" is the default one', () => {
  assert.equal(runtimeForHandler('', catalog('runc')), 'runc');
  assert.equal(runtimeForHandler('', catalog('logged')), 'logged');
  assert.equal(runtimeForHandler('logged', catalog('runc')), 'logged');
  assert.equal(runtimeForHandler('runc', catalog('logged')), 'runc');
  assert.equal(runtimeForHandler('', undefined), 'runc');
});

test('an unknown handler, or one whose runtime cannot run here, is refused naming it', () => {
  assert.throws(() => runtimeForHandler('kata', catalog('runc')), /^InvalidArgument: failed to get sandbox runtime: no runtime for "kata" is configured \(berthd's runtimes: runc, crun, logged;/);
  assert.throws(() => runtimeForHandler('crun', catalog('runc')), /runtime "crun" cannot run containers on this host: cgroups in hybrid mode not supported/);
  assert.throws(() => runtimeForHandler('logged', undefined), /no runtime for "logged"/);
});
