import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountFields, mountKey, mountKeys, parseRunMount } from './run-mounts.js';

test('--mount fields: commas split, quotes group, "" is a quote', () => {
  assert.deepEqual(mountFields('type=bind,target=/a'), ['type=bind', 'target=/a']);
  assert.deepEqual(mountFields('"target=/a,b",ro'), ['target=/a,b', 'ro']);
  assert.deepEqual(mountFields('"x=say ""hi"""'), ['x=say "hi"']);
  assert.throws(() => mountFields('"target=/a'), /quote is not closed/);
});

test('cache: defaults (id = target, shared, 0755, root), options and aliases', () => {
  assert.deepEqual(parseRunMount('type=cache,target=/root/.cache'), { type: 'cache', target: '/root/.cache', id: '/root/.cache', sharing: 'shared', mode: 0o755, uid: 0, gid: 0, readonly: false });
  const m = parseRunMount('type=cache,dst=go,id=gomod,sharing=locked,mode=0700,uid=1000,gid=100,from=base,src=/seed,ro', (v) => v, '/work');
  assert.deepEqual(m, { type: 'cache', target: '/work/go', id: 'gomod', sharing: 'locked', from: 'base', source: '/seed', mode: 0o700, uid: 1000, gid: 100, readonly: true });
  assert.throws(() => parseRunMount('type=cache,target=/c,sharing=sometimes'), /unsupported sharing value "sometimes"/);
  assert.throws(() => parseRunMount('type=cache,target=/c,mode=rwx'), /invalid --mount mode=rwx/);
  assert.throws(() => parseRunMount('type=cache,target=/c,uid=root'), /numeric user or group ID/);
  assert.throws(() => parseRunMount('type=cache'), /type=cache needs a target/);
  assert.throws(() => parseRunMount('type=cache,target=/c,source=/x'), /source= needs from=/);
});

test('bind is the default type, read-only unless rw; tmpfs takes a size', () => {
  assert.deepEqual(parseRunMount('target=/src'), { type: 'bind', target: '/src', source: '/', readonly: true });
  assert.deepEqual(parseRunMount('type=bind,from=build,source=/out,target=/in,rw'), { type: 'bind', target: '/in', source: '/out', from: 'build', readonly: false });
  assert.deepEqual(parseRunMount('type=bind,target=/in,readwrite=false'), { type: 'bind', target: '/in', source: '/', readonly: true });
  assert.deepEqual(parseRunMount('type=tmpfs,target=/t,size=64m'), { type: 'tmpfs', target: '/t', size: 64 << 20 });
  assert.throws(() => parseRunMount('type=tmpfs,target=/t,size=lots'), /invalid --mount size=lots/);
  assert.throws(() => parseRunMount('type=tmpfs,target=/t,from=x'), /"from" does not apply to type=tmpfs/);
});

test('secret and ssh: defaults of the reference, env= refused, values expanded', () => {
  assert.deepEqual(parseRunMount('type=secret,id=tok'), { type: 'secret', id: 'tok', target: '/run/secrets/tok', required: false, mode: 0o400, uid: 0, gid: 0 });
  assert.deepEqual(parseRunMount('type=secret,target=/etc/npmrc,required'), { type: 'secret', id: 'npmrc', target: '/etc/npmrc', required: true, mode: 0o400, uid: 0, gid: 0 });
  assert.throws(() => parseRunMount('type=secret,id=tok,env=TOKEN'), /env= \(docker\/dockerfile:1\.10\) is not supported/);
  assert.throws(() => parseRunMount('type=secret'), /needs an id/);
  assert.deepEqual(parseRunMount('type=ssh', (v) => v, '/', 1), { type: 'ssh', id: 'default', target: '/run/buildkit/ssh_agent.1', required: false, mode: 0o600, uid: 0, gid: 0 });
  assert.equal((parseRunMount('type=cache,target=$D', (v) => v.replace('$D', '/d')) as { target: string }).target, '/d');
});

test('unknown types and options are named; keys are checked before expansion', () => {
  assert.throws(() => mountKeys('type=nfs,target=/x'), /unsupported mount type "nfs": RUN --mount takes type=bind, cache, tmpfs, secret or ssh/);
  assert.throws(() => mountKeys('type=cache,target=$X,flavour=1'), /unknown mount option "flavour"/);
  assert.throws(() => mountKeys('type=cache,target'), /target needs a value/);
  assert.equal(mountKeys('type=CACHE,target=$X').type, 'cache');
});

test('the cache key text: options in a fixed order, a change of option changes it', () => {
  const a = mountKey(parseRunMount('type=cache,target=/c,sharing=locked'));
  assert.equal(a, '--mount=type=cache,gid=0,id=/c,mode=0755,readonly=false,sharing=locked,target=/c,uid=0');
  assert.equal(mountKey(parseRunMount('sharing=locked,target=/c,type=cache')), a);
  assert.notEqual(mountKey(parseRunMount('type=cache,target=/c,sharing=private')), a);
});
