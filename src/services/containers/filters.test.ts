import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { containerMatches, validateContainerFilters, type Filters } from './filters.js';

function rec(over: Partial<ContainerRecord> & { status?: ContainerRecord['state']['status']; exitCode?: number; labels?: Record<string, string> }): ContainerRecord {
  return {
    id: over.id ?? 'abc123',
    name: over.name ?? 'web',
    created: over.created ?? '2026-01-01T00:00:00Z',
    imageId: over.imageId ?? 'sha256:img',
    spec: { labels: over.labels ?? {}, rootfs: { image: 'busybox', readOnly: false } } as ContainerRecord['spec'],
    state: { status: over.status ?? 'running', exitCode: over.exitCode ?? 0 } as ContainerRecord['state'],
    restartCount: 0,
    layers: [],
    driver: 'overlay',
  };
}

const ctx = { ancestorIds: (v: string) => new Set(v === 'busybox' ? ['sha256:img'] : []), resolve: () => undefined };
const f = (o: Record<string, string[]>): Filters => new Map(Object.entries(o));

test('status, name, label, id, exited and ancestor filters', () => {
  const c = rec({ labels: { a: 'b', team: 'x' } });
  assert.ok(containerMatches(c, f({ status: ['running', 'exited'] }), ctx));
  assert.ok(!containerMatches(c, f({ status: ['exited'] }), ctx));
  assert.ok(containerMatches(c, f({ name: ['we'] }), ctx));
  assert.ok(!containerMatches(c, f({ name: ['db'] }), ctx));
  assert.ok(containerMatches(c, f({ label: ['a=b', 'team'] }), ctx));
  assert.ok(!containerMatches(c, f({ label: ['a=b', 'missing'] }), ctx));
  assert.ok(containerMatches(c, f({ id: ['abc'] }), ctx));
  assert.ok(containerMatches(c, f({ ancestor: ['busybox'] }), ctx));
  assert.ok(!containerMatches(c, f({ ancestor: ['alpine'] }), ctx));
  const e = rec({ status: 'exited', exitCode: 3 });
  assert.ok(containerMatches(e, f({ exited: ['3'] }), ctx));
  assert.ok(!containerMatches(e, f({ exited: ['0'] }), ctx));
});

test('unknown filters and statuses are refused', () => {
  assert.throws(() => validateContainerFilters(f({ color: ['red'] })), /invalid filter 'color'/);
  assert.throws(() => validateContainerFilters(f({ status: ['sleepy'] })), /invalid filter 'status=sleepy'/);
});

test('volume filter matches a volume name or a mount destination', () => {
  const c = { id: 'a'.repeat(64), name: 'v', created: '2024-01-01T00:00:00Z', imageId: 'sha256:x', state: { status: 'created', exitCode: 0 }, config: { labels: {}, image: 'busybox' }, mounts: [{ type: 'volume', name: 'data', source: '/s', destination: '/srv', mode: '', rw: true, propagation: '' }] } as unknown as ContainerRecord;
  const ctx = { ancestorIds: () => new Set<string>(), resolve: () => undefined };
  assert.equal(containerMatches(c, new Map([['volume', ['data']]]), ctx), true);
  assert.equal(containerMatches(c, new Map([['volume', ['/srv']]]), ctx), true);
  assert.equal(containerMatches(c, new Map([['volume', ['other']]]), ctx), false);
});
