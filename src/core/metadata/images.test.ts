import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import { sha256, type Digest } from '../../util/index.js';
import { ensureSchema, openDatabase, type Db } from './db.js';
import { ImageStore, type ImageRecord } from './images.js';

async function withDb(fn: (db: Db, path: string) => void | Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-meta-'));
  const path = join(dir, 'berth.db');
  const db = openDatabase(path);
  try {
    await fn(db, path);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function rec(seed: string, extra: Partial<ImageRecord> = {}): ImageRecord {
  const id = sha256(`config ${seed}`);
  const layer = sha256(`layer ${seed}`);
  return {
    id,
    configDigest: id,
    layers: [{ digest: layer, diffId: layer, size: 10, mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
    created: '2024-01-01T00:00:00Z',
    size: 10,
    ...extra,
  };
}

test('openDatabase uses WAL and foreign keys; ensureSchema applies only new statements', () =>
  withDb((db) => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    ensureSchema(db, 't', ['CREATE TABLE t1 (a)']);
    ensureSchema(db, 't', ['CREATE TABLE t1 (a)']);
    ensureSchema(db, 't', ['CREATE TABLE t1 (a)', 'CREATE TABLE t2 (b)']);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 't_'").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(tables.sort(), ['t1', 't2']);
    assert.throws(() => ensureSchema(db, 't', ['CREATE TABLE t1 (a)']), /newer than this berth/);
  }));

test('put, get, tags and repo digests in one go; survive reopening', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-meta-'));
  try {
    const a = rec('a');
    const hex = 'b'.repeat(64);
    let db = openDatabase(join(dir, 'berth.db'));
    let s = new ImageStore(db);
    s.put(a, ['busybox', 'localhost:5000/x:1', `busybox@sha256:${hex}`]);
    assert.deepEqual(s.get(a.id), a);
    assert.deepEqual(s.tagsOf(a.id), ['docker.io/library/busybox:latest', 'localhost:5000/x:1']);
    assert.deepEqual(s.repoDigestsOf(a.id), [`docker.io/library/busybox@sha256:${hex}`]);
    db.close();
    db = openDatabase(join(dir, 'berth.db'));
    s = new ImageStore(db);
    s.tag(a.id, 'busybox:extra');
    assert.deepEqual(s.tagsOf(a.id), ['docker.io/library/busybox:latest', 'localhost:5000/x:1', 'docker.io/library/busybox:extra']);
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('resolve follows Docker rules', () =>
  withDb((db) => {
    const s = new ImageStore(db);
    const a = rec('a');
    const b = rec('b');
    s.put(a, ['busybox:1', 'user/app']);
    s.put(b, [`busybox@${sha256('manifest b')}`]);
    const hex = a.id.slice(7);
    assert.equal(s.resolve(a.id).id, a.id);
    assert.equal(s.resolve(hex).id, a.id);
    assert.equal(s.resolve(hex.slice(0, 12)).id, a.id);
    assert.equal(s.resolve(`sha256:${hex.slice(0, 12)}`).id, a.id);
    assert.equal(s.resolve('busybox:1').id, a.id);
    assert.equal(s.resolve('docker.io/library/busybox:1').id, a.id);
    assert.equal(s.resolve('user/app').id, a.id, 'name-only means :latest');
    assert.equal(s.resolve('user/app:latest').id, a.id);
    assert.equal(s.resolve(`busybox@${sha256('manifest b')}`).id, b.id);
    assert.throws(() => s.resolve('busybox'), (e: unknown) => e instanceof NotFound && e.message === 'No such image: busybox:latest');
    assert.throws(() => s.resolve('nope:1'), (e: unknown) => e instanceof NotFound && e.message === 'No such image: nope:1');
    assert.throws(() => s.resolve(sha256('zzz')), NotFound);
    assert.throws(() => s.resolve('Bad@@'), InvalidArgument);
    // An ambiguous prefix: make two ids share a first hex digit by trying seeds until they do.
    let i = 0;
    let c: ImageRecord;
    do c = rec(`c${i++}`);
    while (c.id[7] !== a.id[7] || c.id[7] === b.id[7]);
    s.put(c);
    assert.throws(() => s.resolve(a.id.slice(7, 8)), /multiple IDs found with provided prefix/);
    // A tag that looks like an id prefix wins over the prefix, as in Docker.
    s.tag(b.id, hex.slice(0, 6));
    assert.equal(s.resolve(hex.slice(0, 6)).id, b.id);
  }));

test('tags move between images; untag and delete', () =>
  withDb((db) => {
    const s = new ImageStore(db);
    const a = rec('a');
    const b = rec('b', { parent: rec('a').id });
    s.put(a, ['app:1']);
    s.put(b, ['app:1']);
    assert.deepEqual(s.tagsOf(a.id), []);
    assert.equal(s.byTag('app:1')?.id, b.id);
    assert.equal(s.byTag('app:2'), undefined);
    assert.throws(() => s.tag(sha256('none') as Digest, 'x'), NotFound);
    assert.throws(() => s.tag(a.id, `x@${sha256('m')}`), InvalidArgument);
    assert.equal(s.untag('app:1'), b.id);
    assert.throws(() => s.untag('app:1'), (e: unknown) => e instanceof NotFound && e.message === 'No such image: app:1');
    assert.deepEqual(s.childrenOf(a.id), [b.id]);
    assert.throws(() => s.delete(a.id), Conflict);
    s.tag(b.id, 'app:3');
    s.delete(b.id);
    assert.equal(s.get(b.id), undefined);
    assert.equal(s.byTag('app:3'), undefined, 'tags go with the image');
    s.delete(a.id);
    assert.throws(() => s.delete(a.id), NotFound);
    assert.deepEqual(s.list(), []);
  }));
