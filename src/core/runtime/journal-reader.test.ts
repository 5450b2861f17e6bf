import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJournalJson } from './journal-reader.js';

test('journalctl JSON lines become log entries: stream by priority, the time berth stored, bytes kept', () => {
  const e = parseJournalJson('{"MESSAGE":"hi","PRIORITY":"6","SYSLOG_TIMESTAMP":"2026-12-08T00:00:01.500Z","__REALTIME_TIMESTAMP":"1"}');
  assert.equal(e?.stream, 'stdout');
  assert.equal(e?.line.toString(), 'hi\n');
  assert.equal(e?.time.toISOString(), '2026-12-08T00:00:01.500Z');
  const err = parseJournalJson('{"MESSAGE":[111,111,112,255],"PRIORITY":"3","__REALTIME_TIMESTAMP":"1765152001000000"}');
  assert.equal(err?.stream, 'stderr');
  assert.deepEqual([...(err?.line ?? [])], [111, 111, 112, 255, 10]);
  assert.equal(err?.time.getTime(), 1765152001000);
  assert.equal(parseJournalJson('{"PRIORITY":"6"}'), null);
  assert.equal(parseJournalJson('not json'), null);
});
