import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResizeDecoder, errorChannelPayload } from './status.js';

test('v4 error channel: Success on exit 0, NonZeroExitCode with the code as its ExitCode cause', () => {
  assert.equal(errorChannelPayload({ kind: 'exited', exitCode: 0 }, true)?.toString(), '{"metadata":{},"status":"Success"}');
  const failed = JSON.parse(errorChannelPayload({ kind: 'exited', exitCode: 3, cmd: ['sh', '-c', 'exit 3'] }, true)?.toString() ?? '');
  assert.deepEqual(failed, {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: command [sh -c exit 3] exited with 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  const internal = JSON.parse(errorChannelPayload({ kind: 'failed', message: 'no such container' }, true)?.toString() ?? '');
  assert.equal(internal.reason, 'InternalError');
  assert.equal(internal.code, 500);
});

test('v1-v3 error channel: nothing on success, the message as text on failure', () => {
  assert.equal(errorChannelPayload({ kind: 'exited', exitCode: 0 }, false), null);
  assert.match(errorChannelPayload({ kind: 'exited', exitCode: 2 }, false)?.toString() ?? '', /^command terminated with non-zero exit code: exit code 2$/);
});

test('resize sizes are read from a stream of JSON objects cut anywhere', () => {
  const d = new ResizeDecoder();
  const text = '{"Width":80,"Height":24}\n{"Width":120,"He' + 'ight":40}\n{"Width":"x","Height":1}{"Width":7,"Height":9}';
  const got = [];
  for (const ch of text) got.push(...d.push(ch));
  assert.deepEqual(got, [
    { width: 80, height: 24 },
    { width: 120, height: 40 },
    { width: 7, height: 9 },
  ]);
});
