import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/index.js';
import { InvalidArgument } from '../errdefs/index.js';
import { errorLine, runErrorText, startFailureCode } from './errors.js';
import { resolveHost } from './host.js';
import { normalizeArgs } from './main.js';
import { parseGoDuration, toApiTimestamp } from './timestamps.js';

test('docker\'s error lines and exit codes', () => {
  assert.equal(errorLine(new ApiError(409, 'Conflict. The container name "/web" is already in use')), 'Error response from daemon: Conflict. The container name "/web" is already in use');
  assert.equal(errorLine(new InvalidArgument('bad flag')), 'bad flag');
  assert.equal(runErrorText(new ApiError(404, 'No such image: x'), 'run'), "berth: Error response from daemon: No such image: x.\nSee 'berth run --help'.\n");
  assert.equal(startFailureCode(new ApiError(400, 'exec: "nope": executable file not found in $PATH')), 127);
  assert.equal(startFailureCode(new ApiError(400, 'exec: "/etc": permission denied')), 126);
  assert.equal(startFailureCode(new ApiError(500, 'runc failed')), 125);
});

test('host resolution: -H, BERTH_HOST, DOCKER_HOST, default', () => {
  assert.deepEqual(resolveHost('unix:///x.sock', { BERTH_HOST: 'unix:///y' }), { socketPath: '/x.sock', autostart: false });
  assert.deepEqual(resolveHost(undefined, { BERTH_HOST: 'unix:///y', DOCKER_HOST: 'unix:///z' }), { socketPath: '/y', autostart: true });
  assert.deepEqual(resolveHost(undefined, { DOCKER_HOST: 'unix:///z' }), { socketPath: '/z', autostart: false });
  assert.deepEqual(resolveHost(undefined, {}), { socketPath: '/run/berth/berth.sock', autostart: true });
  assert.deepEqual(resolveHost(undefined, { BERTH_EXEC_ROOT: '/tmp/x/' }), { socketPath: '/tmp/x/berth.sock', autostart: true });
  assert.throws(() => resolveHost('tcp://1.2.3.4:2375', {}), /only unix:\/\/ sockets are supported/);
});

test('history --human=false becomes --no-human', () => {
  assert.deepEqual(normalizeArgs(['history', '-H=false', 'x']), ['history', '--no-human', 'x']);
  assert.deepEqual(normalizeArgs(['-H', 'unix:///s', 'ps']), ['-H', 'unix:///s', 'ps']);
});

test('log time arguments', () => {
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('abc'), undefined);
  assert.equal(toApiTimestamp('10s', 1_000_000), '990.000000000');
  assert.equal(toApiTimestamp('1700000000'), '1700000000');
  assert.equal(toApiTimestamp('2024-01-01T00:00:00Z'), '1704067200.000000000');
  assert.throws(() => toApiTimestamp('yesterday'), /failed to parse/);
});
