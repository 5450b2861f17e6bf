import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_IN_FLIGHT, TokenCache, checkRequest } from './requests.js';

const exec = { kind: 'exec' as const, request: { containerId: 'c', cmd: ['sh'], tty: false, stdin: true, stdout: true, stderr: true } };

test('a token serves one request once, and not after its lifetime', () => {
  let now = 1000;
  const c = new TokenCache(60_000, () => now);
  const t = c.insert(exec);
  assert.match(t, /^[A-Za-z0-9_-]{11}$/);
  assert.deepEqual(c.consume(t), exec);
  assert.equal(c.consume(t), undefined);
  const late = c.insert(exec);
  now += 60_000;
  assert.equal(c.consume(late), undefined);
  assert.equal(c.consume('unknown'), undefined);
});

test('at most 1000 requests wait at once; expired ones make room', () => {
  let now = 0;
  const c = new TokenCache(10, () => now);
  for (let i = 0; i < MAX_IN_FLIGHT; i++) c.insert(exec);
  assert.throws(() => c.insert(exec), /maximum number of in-flight/);
  now = 11;
  assert.equal(c.size, 0);
  c.insert(exec);
});

test('requests are checked as kubelet checks them', () => {
  assert.throws(() => checkRequest({ ...exec, request: { ...exec.request, tty: true } }), /tty and stderr cannot both be true/);
  assert.throws(() => checkRequest({ ...exec, request: { ...exec.request, stdin: false, stdout: false, stderr: false } }), /one of stdin, stdout, or stderr/);
  assert.throws(() => checkRequest({ ...exec, request: { ...exec.request, containerId: '' } }), /missing required container_id/);
  assert.throws(() => checkRequest({ kind: 'portforward', request: { podSandboxId: '', ports: [] } }), /missing required pod_sandbox_id/);
  assert.throws(() => checkRequest({ kind: 'portforward', request: { podSandboxId: 'p', ports: [70000] } }), /port 70000 is not a TCP port/);
  checkRequest(exec);
});
