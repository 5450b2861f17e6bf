import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageConfigJson, StoredImage } from '../images/index.js';
import { extendsParent, layerAt } from './cache-from.js';

const cfg = (history: { created_by: string; empty_layer?: boolean }[], diffIds: string[]): ImageConfigJson => ({ history, rootfs: { type: 'layers', diff_ids: diffIds } });
const base = cfg([{ created_by: 'ADD rootfs' }], ['sha256:a']);
const target = cfg([{ created_by: 'ADD rootfs' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN x' }], ['sha256:a', 'sha256:b']);

test('a cache-from image fits a parent whose history and layers it starts with', () => {
  assert.equal(extendsParent(target, base), true);
  assert.equal(extendsParent(target, null), true, 'FROM scratch: anything fits');
  assert.equal(extendsParent(target, cfg([{ created_by: 'ADD other' }], ['sha256:a'])), false, 'another history');
  assert.equal(extendsParent(target, cfg([{ created_by: 'ADD rootfs' }], ['sha256:z'])), false, 'another layer');
  assert.equal(extendsParent(base, base), false, 'not longer than the parent');
  assert.equal(extendsParent(cfg([], []), null), false, 'no history at all');
});

test('the layer of a history entry skips the config-only entries before it', () => {
  const layers = ['sha256:a', 'sha256:b'].map((d) => ({ digest: d, diffId: d, size: 1, mediaType: 't' })) as StoredImage['layers'];
  const source = { image: { id: 'sha256:i', configDigest: 'sha256:i', layers, created: '', size: 2 } as StoredImage, config: target };
  assert.equal(layerAt(source, 0)?.digest, 'sha256:a');
  assert.equal(layerAt(source, 1), null);
  assert.equal(layerAt(source, 2)?.digest, 'sha256:b');
});
