import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLogTag, logAttrs, renderLogTag } from './log-tag.js';
import type { LogInfo } from './log-tag.js';

const info: LogInfo = {
  id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2',
  name: 'web',
  imageId: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  imageName: 'busybox:latest',
  command: 'sh -c true',
  labels: { app: 'shop', tier: 'front', other: 'x' },
  env: ['PATH=/bin', 'APP_MODE=prod', 'EMPTY'],
};

test("tag templates take Docker's fields; the default is the short id", () => {
  assert.equal(renderLogTag(undefined, info), 'a1b2c3d4e5f6');
  assert.equal(renderLogTag('{{.Name}}/{{.ImageName}}/{{ .FullID }}', info), `web/busybox:latest/${info.id}`);
  assert.equal(renderLogTag('{{.ImageID}} {{.DaemonName}}', info), '0123456789ab docker');
  assert.equal(renderLogTag('plain', info), 'plain');
  assert.throws(() => checkLogTag('{{.Nope}}'), /no field \.Nope/);
  assert.throws(() => checkLogTag('{{if .Name}}x{{end}}'), /fields only/);
});

test('attrs: the labels and env named, or matched by the regex options', () => {
  assert.deepEqual(logAttrs({ labels: 'app,missing', env: 'APP_MODE' }, info), { app: 'shop', APP_MODE: 'prod' });
  assert.deepEqual(logAttrs({ 'labels-regex': '^t', 'env-regex': '^EMP' }, info), { tier: 'front', EMPTY: '' });
  assert.deepEqual(logAttrs({}, info), {});
});
