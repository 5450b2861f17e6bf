import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../../services/index.js';
import { createInputFromWire } from './create.js';
import { wireHostConfig } from './host-config.js';
import { namespaceModesToWire } from './namespaces.js';

function create(hc: Record<string, unknown>, extra: Record<string, unknown> = {}): ReturnType<typeof createInputFromWire> {
  return createInputFromWire({ Image: 'busybox', ...extra, HostConfig: hc }, null);
}

test('each namespace mode becomes the spec in berth words and comes back as dockerd shows it', () => {
  const cases: [Record<string, unknown>, Partial<ReturnType<typeof namespaceModesToWire>>][] = [
    [{}, { PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'host', UsernsMode: '' }],
    [{ PidMode: 'host', UTSMode: 'host', CgroupnsMode: 'private', UsernsMode: 'host' }, { PidMode: 'host', UTSMode: 'host', CgroupnsMode: 'private', UsernsMode: 'host' }],
    [{ PidMode: 'container:abc', IpcMode: 'container:def' }, { PidMode: 'container:abc', IpcMode: 'container:def' }],
    [{ IpcMode: 'shareable' }, { IpcMode: 'shareable' }],
    [{ IpcMode: 'none' }, { IpcMode: 'none' }],
    [{ IpcMode: 'host' }, { IpcMode: 'host' }],
    [{ IpcMode: 'private' }, { IpcMode: 'private' }],
  ];
  for (const [hc, want] of cases) {
    const input = create(hc);
    const got = namespaceModesToWire(input.spec.namespaces);
    for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof typeof got], v, `${JSON.stringify(hc)} ${k}`);
    const inspect = wireHostConfig({ spec: input.spec } as unknown as ContainerRecord);
    for (const [k, v] of Object.entries(want)) assert.equal(inspect[k], v, `inspect ${k}`);
  }
  assert.deepEqual(create({ PidMode: 'container:abc' }).spec.namespaces.pid, { mode: 'container', target: 'abc' });
  assert.deepEqual(create({ IpcMode: 'none' }).spec.namespaces.ipc, { mode: 'private', noShm: true });
});

test('a create that names no cgroup namespace or IPC mode leaves them to the daemon', () => {
  assert.equal(create({}).cgroupnsUnset, true);
  assert.equal(create({ CgroupnsMode: '' }).cgroupnsUnset, true);
  assert.equal(create({ CgroupnsMode: 'host' }).cgroupnsUnset, undefined);
  assert.equal(create({}).ipcUnset, true);
  assert.equal(create({ IpcMode: 'private' }).ipcUnset, undefined);
});

test("modes dockerd does not know, and dockerd's refused combinations, are refused in its words", () => {
  const cases: [Record<string, unknown>, RegExp, Record<string, unknown>?][] = [
    [{ PidMode: 'shared' }, /^invalid PID mode: shared$/],
    [{ PidMode: 'container:' }, /^invalid PID mode: container:$/],
    [{ IpcMode: 'bogus' }, /^invalid IPC mode: bogus$/],
    [{ IpcMode: 'container:' }, /^invalid IPC mode: container:$/],
    [{ UTSMode: 'private' }, /^invalid UTS mode: private$/],
    [{ CgroupnsMode: 'shared' }, /^invalid cgroup namespace mode: shared$/],
    [{ UsernsMode: 'private' }, /^invalid userns mode/],
    [{ UTSMode: 'host' }, /^conflicting options: hostname and the UTS mode$/, { Hostname: 'x' }],
  ];
  for (const [hc, re, extra] of cases) assert.throws(() => create(hc, extra), (e: Error) => e.name === 'InvalidArgument' && re.test(e.message), String(re));
});
