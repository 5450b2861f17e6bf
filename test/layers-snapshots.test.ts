import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../src/core/diff/index.js';
import { createSnapshotter, mountAll, unmountAll, type Snapshotter } from '../src/core/snapshots/index.js';
import { InvalidArgument, NotFound } from '../src/errdefs/index.js';
import { sha256, type Digest } from '../src/util/digest.js';
import { TarWriter, type TarHeader } from '../src/util/tar/index.js';

const T = new Date('2022-02-02T02:02:02Z');

async function tarOf(entries: (Pick<TarHeader, 'name' | 'type'> & { data?: string })[]): Promise<Buffer> {
  const w = new TarWriter();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const c of w.stream as AsyncIterable<Buffer>) parts.push(c);
  })();
  for (const e of entries) {
    const body = e.data !== undefined ? Buffer.from(e.data) : undefined;
    await w.add({ name: e.name, type: e.type, mode: e.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: T, size: body?.length ?? 0 }, body);
  }
  await w.finish();
  await done;
  return Buffer.concat(parts);
}

function mountedUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(dir));
}

async function addLayer(s: Snapshotter, chain: Digest, parent: Digest | null, tar: Buffer): Promise<void> {
  await s.createLayer(chain, parent, async (dir, format) => void (await applyLayer(dir, Readable.from([tar]), { format })));
}

const L1 = sha256('layer-1');
const L2 = sha256('layer-2');

for (const driver of ['overlay', 'copy'] as const) {
  test(`${driver}: two layers, a whiteout, a container's merged view and clean removal`, async () => {
    const root = await mkdtemp(join(tmpdir(), `berth-snap-${driver}-`));
    const rootfs = join(root, 'run', 'c1', 'rootfs');
    try {
      const s = await createSnapshotter({ root, driver });
      assert.equal(s.driver, driver);
      await addLayer(s, L1, null, await tarOf([
        { name: 'etc', type: 'directory' },
        { name: 'etc/hidden', type: 'file', data: 'from layer 1' },
        { name: 'etc/kept', type: 'file', data: 'kept' },
      ]));
      await addLayer(s, L2, L1, await tarOf([
        { name: 'etc/.wh.hidden', type: 'file' },
        { name: 'etc/new', type: 'file', data: 'from layer 2' },
      ]));
      assert.equal(await s.hasLayer(L2), true);
      assert.equal(s.layerPath(L2), join(root, 'layers', L2.slice(7), 'diff'));
      await assert.rejects(s.prepare('c2', [L1, sha256('missing')], rootfs), NotFound);

      const mounts = await s.prepare('c1', [L1, L2], rootfs);
      await mountAll(mounts);
      try {
        assert.deepEqual((await readdir(join(rootfs, 'etc'))).sort(), ['kept', 'new']);
        assert.equal(await readFile(join(rootfs, 'etc/new'), 'utf8'), 'from layer 2');
        await writeFile(join(rootfs, 'etc/written'), 'by the container');
        await rm(join(rootfs, 'etc/kept'));
      } finally {
        await unmountAll(rootfs);
      }
      await unmountAll(rootfs); // idempotent
      assert.deepEqual(mountedUnder(root), []);
      assert.equal(await readFile(join(s.upperPath('c1'), 'etc/written'), 'utf8'), 'by the container');
      // The layers themselves are untouched by the container.
      const l1 = s.layerPath(L1);
      assert.equal(await readFile(join(l1, 'etc/kept'), 'utf8'), 'kept');

      // prepare again (a restart) keeps the container's changes.
      await mountAll(await s.prepare('c1', [L1, L2], rootfs));
      try {
        assert.equal(await readFile(join(rootfs, 'etc/written'), 'utf8'), 'by the container');
        assert.deepEqual((await readdir(join(rootfs, 'etc'))).sort(), ['new', 'written']);
      } finally {
        await unmountAll(rootfs);
      }

      await s.remove('c1');
      await assert.rejects(lstat(s.upperPath('c1')));
      await s.removeLayer(L2);
      await s.removeLayer(L1);
      await s.removeLayer(L1);
      assert.equal(await s.hasLayer(L1), false);
      assert.deepEqual(await readdir(join(root, 'layers')), []);
      assert.deepEqual(mountedUnder(root), []);
    } finally {
      for (const mp of mountedUnder(root).reverse()) await unmountAll(mp);
      await rm(root, { recursive: true, force: true });
    }
  });

  test(`${driver}: concurrent createLayer for one chain unpacks once; remove detaches leftover mounts`, async () => {
    const root = await mkdtemp(join(tmpdir(), `berth-snap-${driver}-`));
    try {
      const s = await createSnapshotter({ root, driver });
      let fills = 0;
      const fill = async (dir: string): Promise<void> => {
        fills++;
        await new Promise((r) => setTimeout(r, 30));
        await writeFile(join(dir, 'f'), 'x');
      };
      await Promise.all([s.createLayer(L1, null, fill), s.createLayer(L1, null, fill), s.createLayer(L1, null, fill)]);
      await s.createLayer(L1, null, fill);
      assert.equal(fills, 1);
      await assert.rejects(s.createLayer(L2, sha256('no-parent'), fill), NotFound);
      const failing = s.createLayer(L2, L1, async () => {
        throw new Error('boom');
      });
      await assert.rejects(failing, /boom/);
      assert.equal(await s.hasLayer(L2), false);
      assert.deepEqual(await readdir(join(root, 'tmp')).then((d) => d.filter((n) => n.startsWith('layer-'))), []);

      const rootfs = join(root, 'containers', 'c9', 'rootfs');
      await mountAll(await s.prepare('c9', [L1], rootfs));
      assert.equal(await readFile(join(rootfs, 'f'), 'utf8'), 'x');
      await s.remove('c9'); // still mounted: remove detaches first
      assert.deepEqual(mountedUnder(root), []);
      assert.equal(await readFile(join(s.layerPath(L1), 'f'), 'utf8'), 'x');
    } finally {
      for (const mp of mountedUnder(root).reverse()) await unmountAll(mp);
      await rm(root, { recursive: true, force: true });
    }
  });
}

test('overlay: 70 layers fit in one mount through short links', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-snap-many-'));
  const rootfs = join(root, 'rootfs');
  try {
    const s = await createSnapshotter({ root, driver: 'overlay' });
    const chains: Digest[] = [];
    for (let i = 0; i < 70; i++) {
      const c = sha256(`many-${i}`);
      await s.createLayer(c, chains.at(-1) ?? null, async (dir) => writeFile(join(dir, `f${i}`), String(i)));
      chains.push(c);
    }
    await mountAll(await s.prepare('many', chains, rootfs));
    try {
      assert.equal((await readdir(rootfs)).length, 70);
      assert.equal(await readFile(join(rootfs, 'f69'), 'utf8'), '69');
    } finally {
      await unmountAll(rootfs);
    }
    await s.remove('many');
  } finally {
    for (const mp of mountedUnder(root).reverse()) await unmountAll(mp);
    await rm(root, { recursive: true, force: true });
  }
});

test("'auto' picks overlay on this machine's filesystem and leaves no probe behind", async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-snap-auto-'));
  try {
    const s = await createSnapshotter({ root });
    assert.equal(s.driver, 'overlay');
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(mountedUnder(root), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a resumable layer keeps its half-made dir for the next try (not after bad input), and start-up drops those older than a day', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-partial-'));
  try {
    const s = await createSnapshotter({ root, driver: 'overlay' });
    const chain = `sha256:${'ab'.repeat(32)}` as Digest;
    const partial = join(root, 'tmp', `partial-${'ab'.repeat(32)}`);
    let seen: string | undefined;
    await assert.rejects(
      s.createLayer(chain, null, async (dir, _f, progress) => {
        seen = progress;
        await writeFile(join(dir, 'half'), 'x');
        await writeFile(progress ?? '', '{}');
        throw new Error('the network went away');
      }, undefined, { resumable: true }),
      /network went away/,
    );
    assert.equal(seen, join(partial, 'progress'));
    assert.equal(await readFile(join(partial, 'diff', 'half'), 'utf8'), 'x', 'kept for the next try');
    // The next try gets the same dir back and commits it; the progress record does not go along.
    await s.createLayer(chain, null, async (dir) => assert.equal(await readFile(join(dir, 'half'), 'utf8'), 'x'), undefined, { resumable: true });
    assert.ok(await s.hasLayer(chain));
    assert.ok(!existsSync(partial) && !existsSync(join(s.layerPath(chain), '..', 'progress')));

    const other = `sha256:${'cd'.repeat(32)}` as Digest;
    await assert.rejects(s.createLayer(other, null, async () => { throw new InvalidArgument('bad tar'); }, undefined, { resumable: true }), /bad tar/);
    assert.ok(!existsSync(join(root, 'tmp', `partial-${'cd'.repeat(32)}`)), 'bad input leaves nothing');

    // Start-up: a fresh partial stays, one whose record is two days old goes.
    const fresh = join(root, 'tmp', `partial-${'ef'.repeat(32)}`);
    const old = join(root, 'tmp', `partial-${'01'.repeat(32)}`);
    for (const d of [fresh, old]) {
      await mkdir(join(d, 'diff'), { recursive: true });
      await writeFile(join(d, 'progress'), '{}');
    }
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await utimes(join(old, 'progress'), twoDaysAgo, twoDaysAgo);
    await createSnapshotter({ root, driver: 'overlay' });
    assert.ok(existsSync(fresh));
    assert.ok(!existsSync(old));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('start-up detaches the views a killed berthd left mounted in tmp/ and removes its scratch folders, never deleting through a mount', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-leftovers-'));
  const kept = await mkdtemp(join(tmpdir(), 'berth-leftovers-src-'));
  try {
    await createSnapshotter({ root, driver: 'overlay' });
    await writeFile(join(kept, 'data'), 'a container file');
    const view = join(root, 'tmp', 'fs-Ab12Cd');
    await mkdir(view, { recursive: true });
    await mountAll([{ type: 'bind', source: kept, target: view, options: ['rbind', 'ro'] }]);
    await mkdir(join(root, 'tmp', 'build-x1Y2z3', 'ctx'), { recursive: true });
    await mkdir(join(root, 'tmp', 'partial-keep'), { recursive: true });
    await mkdir(join(root, 'tmp', 'fs-notmine-longer'), { recursive: true });
    assert.equal(mountedUnder(root).length, 1, 'the view is mounted');

    await createSnapshotter({ root, driver: 'overlay' });
    assert.deepEqual(mountedUnder(root), [], 'no mount left under the data root');
    assert.equal(await readFile(join(kept, 'data'), 'utf8'), 'a container file', 'nothing deleted through the view');
    const left = (await readdir(join(root, 'tmp'))).sort();
    assert.deepEqual(left, ['fs-notmine-longer', 'partial-keep'], 'scratch folders gone; a resumable partial and unknown names stay');
  } finally {
    for (const m of mountedUnder(root).reverse()) await unmountAll(m);
    await rm(root, { recursive: true, force: true });
    await rm(kept, { recursive: true, force: true });
  }
});
