import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './db.js';
import { LeaseStore } from './leases.js';

test('leases hold refs until released; expired ones end at expire() and hand back what only they held; they survive a reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lease-'));
  try {
    const path = join(dir, 'berth.db');
    let db = openDatabase(path);
    let s = new LeaseStore(db);
    const now = 1_000_000;
    const short = s.create(1000, now);
    const long = s.create(60_000, now);
    s.add(short, 'blob', 'sha256:a');
    s.add(short, 'layer', 'sha256:c1');
    s.add(long, 'blob', 'sha256:b');
    s.add(long, 'blob', 'sha256:b');
    assert.deepEqual([...s.held('blob')].sort(), ['sha256:a', 'sha256:b']);
    assert.deepEqual([...s.held('layer')], ['sha256:c1']);
    db.close();
    db = openDatabase(path);
    s = new LeaseStore(db);
    assert.equal(s.count(), 2, 'leases are in the database: a restarted berthd still honours them');
    assert.deepEqual(s.expire(now + 500), []);
    assert.deepEqual(s.expire(now + 1000).sort((x, y) => x.ref.localeCompare(y.ref)), [
      { kind: 'blob', ref: 'sha256:a' },
      { kind: 'layer', ref: 'sha256:c1' },
    ]);
    assert.deepEqual([...s.held('blob')], ['sha256:b']);
    assert.deepEqual(s.refsOf(long), [{ kind: 'blob', ref: 'sha256:b' }]);
    s.release(long);
    assert.equal(s.held('blob').size, 0);
    assert.equal(s.count(), 0);
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
