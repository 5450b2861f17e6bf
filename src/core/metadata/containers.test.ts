import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './db.js';
import { ContainerStore, type ContainerRecord } from './containers.js';

test('migrateLegacy rewrites only records without a spec, in one go, and only once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-meta-'));
  const db = openDatabase(join(dir, 'berth.db'));
  try {
    const store = new ContainerStore(db);
    const insert = db.prepare('INSERT INTO containers (id, name, image_id, created, data) VALUES (?, ?, ?, ?, ?)');
    const old = { id: 'a1', name: 'old', imageId: 'sha256:i', created: '2026-01-01T00:00:00Z', hostConfig: { networkMode: 'none', raw: { Memory: 1 } } };
    insert.run(old.id, old.name, old.imageId, old.created, JSON.stringify(old));
    const fresh = { id: 'b2', name: 'new', imageId: 'sha256:i', created: '2026-01-02T00:00:00Z', spec: { kept: true } };
    insert.run(fresh.id, fresh.name, fresh.imageId, fresh.created, JSON.stringify(fresh));
    const seen: string[] = [];
    const convert = (legacy: Record<string, unknown>): ContainerRecord => {
      seen.push(legacy['id'] as string);
      const { hostConfig, ...rest } = legacy as { hostConfig: { networkMode: string } } & Record<string, unknown>;
      return { ...rest, spec: { networking: { network: hostConfig.networkMode } } } as unknown as ContainerRecord;
    };
    assert.equal(store.migrateLegacy(convert), 1);
    assert.deepEqual(seen, ['a1'], 'a record that has a spec is not touched');
    const got = store.get('a1') as unknown as Record<string, unknown>;
    assert.deepEqual(got['spec'], { networking: { network: 'none' } });
    assert.ok(!('hostConfig' in got));
    assert.deepEqual((store.get('b2') as unknown as Record<string, unknown>)['spec'], { kept: true });
    assert.equal(store.migrateLegacy(convert), 0, 'nothing left to convert');
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing conversion leaves every old record as it was', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-meta-'));
  const db = openDatabase(join(dir, 'berth.db'));
  try {
    const store = new ContainerStore(db);
    const insert = db.prepare('INSERT INTO containers (id, name, image_id, created, data) VALUES (?, ?, ?, ?, ?)');
    for (const id of ['c1', 'c2']) insert.run(id, id, 'sha256:i', '2026-01-01T00:00:00Z', JSON.stringify({ id, hostConfig: { raw: {} } }));
    let n = 0;
    assert.throws(() =>
      store.migrateLegacy((legacy) => {
        if (++n === 2) throw new Error('second fails');
        return { ...legacy, spec: {} } as unknown as ContainerRecord;
      }),
    );
    for (const id of ['c1', 'c2']) assert.ok('hostConfig' in (store.get(id) as unknown as Record<string, unknown>), id);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('migrateLegacy also rewrites records whose process side is still a `config` beside the spec', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-meta-'));
  const db = openDatabase(join(dir, 'berth.db'));
  try {
    const store = new ContainerStore(db);
    const insert = db.prepare('INSERT INTO containers (id, name, image_id, created, data) VALUES (?, ?, ?, ?, ?)');
    const old = { id: 'c3', name: 'mid', imageId: 'sha256:i', created: '2026-01-01T00:00:00Z', path: 'sh', args: ['-c', 'true'], config: { tty: true }, spec: { rootfs: { readOnly: false } } };
    insert.run(old.id, old.name, old.imageId, old.created, JSON.stringify(old));
    const convert = (legacy: Record<string, unknown>): ContainerRecord => {
      const { config, path, args, spec, ...rest } = legacy as { config: { tty: boolean }; path: string; args: string[]; spec: object } & Record<string, unknown>;
      return { ...rest, spec: { ...spec, process: { args: [path, ...args], terminal: config.tty } } } as unknown as ContainerRecord;
    };
    assert.equal(store.migrateLegacy(convert), 1);
    const got = store.get('c3') as unknown as Record<string, unknown>;
    assert.deepEqual(got['spec'], { rootfs: { readOnly: false }, process: { args: ['sh', '-c', 'true'], terminal: true } });
    for (const k of ['config', 'path', 'args']) assert.ok(!(k in got), k);
    assert.equal(store.migrateLegacy(convert), 0, 'nothing left to convert');
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
