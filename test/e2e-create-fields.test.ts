import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * Refuse, never ignore: a create that asks for something berth does not do is refused with the field
 * named, through the docker CLI (exit 125, as for every daemon error) and the API; nothing is made.
 * And ConsoleSize, which the docker CLI sends with -t, sizes the container's terminal from its start.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('docker run with a flag berth does not implement fails naming the field, and creates nothing', async () => {
  const cases: [string[], RegExp][] = [
    // A size the data root cannot hold (no project quotas here) is refused in dockerd's words.
    [['--storage-opt', 'size=1G'], /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/],
    [['--isolation', 'hyperv'], /HostConfig\.Isolation "hyperv" is not supported by berth: isolation modes are a Windows feature/],
  ];
  for (const [flags, re] of cases) {
    const r = await d.docker(['run', '--rm', ...flags, 'busybox', 'true']);
    assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const ps = await d.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '', 'no container was created');
});

test('ConsoleSize gives a TTY container its terminal size from the start', async () => {
  const docker = new Docker({ socketPath: d.socket });
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['stty', 'size'], Tty: true, HostConfig: { ConsoleSize: [33, 101], NetworkMode: 'none' } } as Docker.ContainerCreateOptions);
  try {
    await c.start();
    assert.equal((await c.wait()).StatusCode, 0);
    const logs = (await c.logs({ stdout: true })).toString();
    assert.equal(logs.trim(), '33 101');
  } finally {
    await c.remove({ force: true });
  }
  await assert.rejects(docker.createContainer({ Image: 'busybox', HostConfig: { ConsoleSize: [1] } } as unknown as Docker.ContainerCreateOptions), /ConsoleSize must be \[height, width\]/);
});
