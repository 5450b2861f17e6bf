import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../../errdefs/index.js';
import { parseChanges } from './changes.js';
import { newImageConfig } from './config.js';
import { ociArchitecture } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';

test('CMD and ENTRYPOINT in JSON and shell form', () => {
  assert.deepEqual(parseChanges(['CMD ["/bin/echo", "hi there"]']), { Cmd: ['/bin/echo', 'hi there'] });
  assert.deepEqual(parseChanges(['cmd echo hi && ls']), { Cmd: ['/bin/sh', '-c', 'echo hi && ls'] });
  assert.deepEqual(parseChanges(['ENTRYPOINT ["/bin/sh"]', 'CMD [not json']), { Entrypoint: ['/bin/sh'], Cmd: ['/bin/sh', '-c', '[not json'] });
});

test('ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, ONBUILD', () => {
  const c = parseChanges([
    'ENV A=1 B="two words" C=3',
    'ENV LEGACY value with  spaces',
    'ENV A=override',
    'LABEL com.example="a b" x=y',
    'EXPOSE 80 443/udp 8000-8001',
    'VOLUME ["/data", "/logs"]',
    'VOLUME /cache /tmp/x',
    'WORKDIR /app',
    'WORKDIR sub',
    "USER 'berth:berth'",
    'STOPSIGNAL SIGINT',
    'ONBUILD RUN echo hi',
  ]);
  assert.deepEqual(c.Env, ['A=override', 'B=two words', 'C=3', 'LEGACY=value with  spaces']);
  assert.deepEqual(c.Labels, { 'com.example': 'a b', x: 'y' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '443/udp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/logs', '/cache', '/tmp/x']);
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.User, 'berth:berth');
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.OnBuild, ['RUN echo hi']);
});

test('continuation lines join; unknown instructions are refused with Docker wording', () => {
  assert.deepEqual(parseChanges(['ENV A=1 \\\n  B=2']).Env, ['A=1', 'B=2']);
  assert.throws(() => parseChanges(['RUN echo hi']), (e: unknown) => e instanceof InvalidArgument && e.message === 'RUN is not a valid change command');
  assert.throws(() => parseChanges(['FROM busybox']), InvalidArgument);
  assert.throws(() => parseChanges(['ENV']), InvalidArgument);
  assert.throws(() => parseChanges(['LABEL novalue']), InvalidArgument);
  assert.throws(() => parseChanges(['EXPOSE 99999']), InvalidArgument);
  assert.throws(() => parseChanges(['ENV A="unterminated']), InvalidArgument);
});

test('newImageConfig builds an import config for the host platform', () => {
  const diff = `sha256:${'1'.repeat(64)}` as Digest;
  const created = new Date('2024-05-06T07:08:09.123Z');
  const cfg = newImageConfig({ diffIds: [diff], changes: { Cmd: ['sh'] }, comment: 'hello', created });
  assert.equal(cfg.os, 'linux');
  assert.equal(cfg.architecture, ociArchitecture(process.arch));
  assert.equal(cfg.created, '2024-05-06T07:08:09.123000000Z');
  assert.deepEqual(cfg.rootfs, { type: 'layers', diff_ids: [diff] });
  assert.deepEqual(cfg.config, { Cmd: ['sh'] });
  assert.deepEqual(cfg.history, [{ created: '2024-05-06T07:08:09.123000000Z', comment: 'hello' }]);
});
