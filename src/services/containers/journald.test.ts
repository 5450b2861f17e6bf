import { test } from 'node:test';
import assert from 'node:assert/strict';
import { journalContainerFields, journalEntry, journalKey, journalLine } from './journald.js';

test("journal entries in the native protocol: KEY=value lines, a binary-safe form for a value with a newline", () => {
  assert.equal(journalEntry([['MESSAGE', 'hi'], ['PRIORITY', '6']]).toString(), 'MESSAGE=hi\nPRIORITY=6\n');
  const multi = journalEntry([['MESSAGE', 'a\nb']]);
  assert.equal(multi.subarray(0, 8).toString(), 'MESSAGE\n');
  assert.equal(multi.readBigUInt64LE(8), 3n);
  assert.equal(multi.subarray(16).toString(), 'a\nb\n');
});

test("dockerd's fields: container id, name, tag, image, attrs as journal keys; priority by stream", () => {
  const info = { id: 'a'.repeat(64), name: 'web', imageId: 'sha256:x', imageName: 'busybox', command: 'true', labels: {}, env: [] };
  const fields = journalContainerFields(info, 'web', { 'com.example.app': 'shop', _hidden: 'x' });
  assert.deepEqual(Object.fromEntries(fields), { CONTAINER_ID: 'aaaaaaaaaaaa', CONTAINER_ID_FULL: 'a'.repeat(64), CONTAINER_NAME: 'web', CONTAINER_TAG: 'web', IMAGE_NAME: 'busybox', SYSLOG_IDENTIFIER: 'web', COM_EXAMPLE_APP: 'shop', HIDDEN: 'x' });
  assert.equal(journalKey('-x'), 'X', 'no leading underscore');
  const line = journalLine(fields, { stream: 'stderr', time: new Date('2026-12-08T00:00:00.000Z'), text: 'oops\n' }).toString();
  assert.match(line, /^MESSAGE=oops\nPRIORITY=3\nSYSLOG_TIMESTAMP=2026-12-08T00:00:00.000Z\nCONTAINER_ID=aaaaaaaaaaaa\n/);
});
