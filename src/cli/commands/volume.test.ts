import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFormat } from '../format/formatter.js';
import { DEFAULT_VOLUME_FORMAT, VOLUME_HEADERS, volumeRows } from './volume.js';

test('volume ls rows: docker table, labels joined, N/A without usage data', () => {
  const rows = volumeRows([
    { Name: 'b', Driver: 'local', Mountpoint: '/v/b/_data', Labels: { x: '1', y: '2' }, Options: null, Scope: 'local' },
    { Name: 'a', Driver: 'local', Mountpoint: '/v/a/_data', Labels: null, Options: null, Scope: 'local', UsageData: { Size: 2048, RefCount: 1 } },
  ]);
  assert.equal(rows[0]?.['Labels'], 'x=1,y=2');
  assert.equal(rows[0]?.['Size'], 'N/A');
  assert.equal(rows[1]?.['Links'], '1');
  assert.equal(renderFormat(DEFAULT_VOLUME_FORMAT, rows, VOLUME_HEADERS), 'DRIVER    VOLUME NAME\nlocal     b\nlocal     a\n');
});
