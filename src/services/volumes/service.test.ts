import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, VolumeStore } from '../../core/metadata/index.js';
import { LocalVolumeDriver } from '../../core/volumes/index.js';
import { VolumeService } from './service.js';
import { ANONYMOUS_LABEL } from './filters.js';

async function setup(): Promise<{ svc: VolumeService; users: Map<string, string[]>; dir: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-volsvc-'));
  const db = openDatabase(join(dir, 'berth.db'));
  const users = new Map<string, string[]>();
  const svc = new VolumeService({ store: new VolumeStore(db), driver: new LocalVolumeDriver(join(dir, 'volumes')), volumeUsers: () => users });
  return { svc, users, dir, close: async () => { db.close(); await rm(dir, { recursive: true, force: true }); } };
}

test('create is idempotent by name, validates names and drivers', async () => {
  const t = await setup();
  try {
    const v = await t.svc.create({ name: 'data', labels: { team: 'a' } });
    assert.equal(v.mountpoint, join(t.dir, 'volumes/data/_data'));
    assert.ok((await stat(v.mountpoint)).isDirectory());
    const again = await t.svc.create({ name: 'data' });
    assert.deepEqual(again.labels, { team: 'a' });
    await assert.rejects(t.svc.create({ name: 'bad/name' }), /includes invalid characters for a local volume name/);
    await assert.rejects(t.svc.create({ name: 'x1', driver: 'nfs' }), /plugin "nfs" not found/);
    await assert.rejects(t.svc.create({ name: 'x2', options: { bogus: '1' } }), /invalid option: "bogus"/);
    assert.throws(() => t.svc.get('nope'), /get nope: no such volume/);
  } finally {
    await t.close();
  }
});

test('list filters; remove refuses volumes in use; prune keeps named volumes unless all', async () => {
  const t = await setup();
  try {
    await t.svc.create({ name: 'named', labels: { k: 'v' } });
    const anon = await t.svc.createAnonymous();
    const busy = await t.svc.createAnonymous();
    assert.ok(ANONYMOUS_LABEL in anon.labels);
    await writeFile(join(anon.mountpoint, 'f'), 'hello');
    t.users.set(busy.name, ['c1']);
    assert.deepEqual(t.svc.list(new Map([['label', ['k=v']]])).map((v) => v.name), ['named']);
    assert.deepEqual(t.svc.list(new Map([['dangling', ['false']]])).map((v) => v.name), [busy.name]);
    assert.throws(() => t.svc.list(new Map([['color', ['x']]])), /invalid filter 'color'/);
    await assert.rejects(t.svc.remove(busy.name), new RegExp(`remove ${busy.name}: volume is in use - \\[c1\\]`));
    await assert.rejects(t.svc.remove(busy.name, { force: true }), /volume is in use/);
    const pruned = await t.svc.prune();
    assert.deepEqual(pruned.deleted, [anon.name]);
    assert.equal(pruned.spaceReclaimed, 5);
    assert.ok(t.svc.find('named'));
    const all = await t.svc.prune(new Map([['all', ['true']]]));
    assert.deepEqual(all.deleted, ['named']);
    assert.ok(t.svc.find(busy.name));
    await t.svc.remove('gone', { force: true });
    await assert.rejects(t.svc.remove('gone'), /no such volume/);
  } finally {
    await t.close();
  }
});

test('a removal cut after its folder moved aside: recover puts it back for a recorded volume, removes it otherwise', async () => {
  const t = await setup();
  try {
    const drv = new LocalVolumeDriver(join(t.dir, 'volumes'));
    const kept = await t.svc.create({ name: 'kept' });
    await writeFile(join(kept.mountpoint, 'f'), 'data');
    await t.svc.create({ name: 'gone' });
    // As a berthd killed inside `volume rm`: both folders aside, only gone's record deleted.
    await drv.detach('kept');
    await drv.detach('gone');
    await assert.rejects(stat(kept.mountpoint));
    await drv.recover((n) => n === 'kept');
    assert.equal((await stat(join(kept.mountpoint, 'f'))).size, 4);
    await assert.rejects(stat(join(t.dir, 'volumes/.removing-gone')));
    await assert.rejects(stat(join(t.dir, 'volumes/.removing-kept')));
    await t.svc.remove('kept');
    await assert.rejects(stat(join(t.dir, 'volumes/kept')));
  } finally {
    await t.close();
  }
});
