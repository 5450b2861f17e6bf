import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execConfigFromWire, execInspect } from './exec.js';

test('execConfigFromWire reads what the docker CLI sends', () => {
  const c = execConfigFromWire({
    AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, ConsoleSize: [30, 90],
    Cmd: ['sh', '-c', 'x'], Env: ['A=1'], User: 'nobody', WorkingDir: '/tmp', DetachKeys: 'ctrl-x',
  });
  assert.deepEqual(c.cmd, ['sh', '-c', 'x']);
  assert.deepEqual(c.consoleSize, { height: 30, width: 90 });
  assert.equal(c.tty, true);
  assert.equal(c.user, 'nobody');
  assert.equal(c.detachKeys, 'ctrl-x');
  assert.throws(() => execConfigFromWire({ Cmd: ['true'], DetachKeys: 'ctrl-12' }), /Invalid escape keys/);
  assert.throws(() => execConfigFromWire({ Cmd: 'true', Env: 5 }), /cannot unmarshal/);
});

test('execInspect has Docker shape: ExitCode null until the process ended', () => {
  const config = execConfigFromWire({ Cmd: ['ls', '-l'] });
  const base = { id: 'e1', containerId: 'c1', config, pid: 0, createdAt: new Date() };
  const fresh = execInspect({ ...base, status: 'created', exitCode: null });
  assert.equal(fresh['ExitCode'], null);
  assert.equal(fresh['Running'], false);
  assert.deepEqual(fresh['ProcessConfig'], { tty: false, entrypoint: 'ls', arguments: ['-l'], privileged: false });
  const done = execInspect({ ...base, status: 'exited', exitCode: 3, pid: 42 });
  assert.equal(done['ExitCode'], 3);
  assert.equal(done['Pid'], 42);
});

test('execConfigFromWire matches field names in any case, as dockerd (Go) does: docker-py sends "detachKeys"', () => {
  const c = execConfigFromWire({ Cmd: ['sh'], AttachStdin: true, Tty: true, detachKeys: 'ctrl-x,ctrl-y', workingdir: '/tmp' });
  assert.equal(c.detachKeys, 'ctrl-x,ctrl-y');
  assert.equal(c.workingDir, '/tmp');
  assert.equal(execConfigFromWire({ Cmd: ['sh'], DetachKeys: 'a', detachKeys: 'b' }).detachKeys, 'b', 'the later key wins');
  assert.throws(() => execConfigFromWire({ Cmd: ['sh'], detachKeys: 'ctrl-12' }), /Invalid escape keys/);
});
