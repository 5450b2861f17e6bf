import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { commitConfig } from './commit.js';

function rec(config: { env?: string[]; cmd?: string[] }): ContainerRecord {
  const process = { args: [], user: '', env: config.env ?? [], command: config.cmd ?? null, entrypoint: null, cwd: '', terminal: false, stdin: { open: false, once: false } };
  return { spec: { process, labels: {}, volumes: [], networking: { exposedPorts: [] }, lifecycle: { stopSignal: '' } } } as unknown as ContainerRecord;
}

test('a commit keeps the container config and applies --change on top', () => {
  const cfg = commitConfig({ Cmd: ['sh'], Shell: ['/bin/sh', '-c'] }, rec({ env: ['PATH=/bin', 'A=1'], cmd: ['sleep', '1'] }), ['ENV A=2 B=3', 'LABEL x=y', 'EXPOSE 80']);
  assert.deepEqual(cfg['Env'], ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(cfg['Cmd'], ['sleep', '1']);
  assert.deepEqual(cfg['Labels'], { x: 'y' });
  assert.deepEqual(cfg['ExposedPorts'], { '80/tcp': {} });
  assert.deepEqual(cfg['Shell'], ['/bin/sh', '-c'], 'what the container config lacks comes from the image');
});

test('a new ENTRYPOINT drops the inherited CMD unless CMD is changed too', () => {
  const r = rec({ cmd: ['sh'] });
  assert.equal(commitConfig({}, r, ['ENTRYPOINT ["top"]'])['Cmd'], undefined);
  assert.deepEqual(commitConfig({}, r, ['ENTRYPOINT ["top"]', 'CMD ["-b"]'])['Cmd'], ['-b']);
});
