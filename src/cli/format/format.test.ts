import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, ImageSummary } from '../../api/index.js';
import { DEFAULT_PS_FORMAT, PS_HEADERS, containerRow, displayPorts } from './containers.js';
import { ellipsis, renderFormat, truncateId } from './formatter.js';
import { DEFAULT_IMAGES_FORMAT, IMAGE_HEADERS, historyRows, imageRows } from './images.js';
import { tabwrite } from './tabwriter.js';

const now = Date.parse('2024-01-01T00:01:00Z');
const id = 'a'.repeat(64);

function container(over: Partial<ContainerSummary>): ContainerSummary {
  return {
    Id: id, Names: ['/web'], Image: 'busybox', ImageID: `sha256:${'b'.repeat(64)}`, Command: 'sh -c \'while true; do sleep 1; done\'',
    Created: now / 1000 - 3, Ports: [], Labels: { a: '1' }, State: 'running', Status: 'Up 2 seconds',
    HostConfig: { NetworkMode: 'default' }, NetworkSettings: { Networks: { bridge: {} } }, Mounts: [], ...over,
  };
}

test('tabwriter pads cells like docker (min width 10, padding 3, last cell unpadded)', () => {
  assert.equal(tabwrite('A\tBBBBBBBBBBBB\tC\nlonger-cell\tx\ty\n'), 'A             BBBBBBBBBBBB   C\nlonger-cell   x              y\n');
});

test('ps table', () => {
  const out = renderFormat(DEFAULT_PS_FORMAT, [containerRow(container({}), true, now)], PS_HEADERS);
  const lines = out.split('\n');
  assert.equal(lines[0], 'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES');
  assert.equal(lines[1], `${'a'.repeat(12)}   busybox   "sh -c 'while true; …"   3 seconds ago   Up 2 seconds             web`);
});

test('ps fields: ports, labels, untruncated command, Label method', () => {
  const row = containerRow(container({ Ports: [{ PrivatePort: 80, PublicPort: 8080, IP: '0.0.0.0', Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }] }), false, now);
  assert.equal(row['Ports'], '0.0.0.0:8080->80/tcp, 443/tcp');
  assert.equal(row['ID'], id);
  assert.equal(row['Command'], '"sh -c \'while true; do sleep 1; done\'"');
  assert.equal(renderFormat('{{.Label "a"}} {{.Names}} {{.Networks}}', [row], PS_HEADERS), '1 web bridge\n');
  assert.equal(displayPorts([{ PrivatePort: 53, PublicPort: 53, IP: '::', Type: 'udp' }]), '[::]:53->53/udp');
});

test('images table and sizes', () => {
  const img: ImageSummary = { Id: `sha256:${'c'.repeat(64)}`, ParentId: '', RepoTags: ['busybox:latest', 'reg:5000/x/y:1.0'], RepoDigests: [], Created: now / 1000 - 7200, Size: 4_270_000, SharedSize: -1, Labels: null, Containers: -1 };
  const dangling: ImageSummary = { ...img, Id: `sha256:${'d'.repeat(64)}`, RepoTags: [], Size: 1234 };
  const out = renderFormat(DEFAULT_IMAGES_FORMAT, imageRows([img, dangling], { trunc: true, digests: false }, now), IMAGE_HEADERS);
  assert.equal(out, [
    'REPOSITORY     TAG       IMAGE ID       CREATED       SIZE',
    `busybox        latest    ${'c'.repeat(12)}   2 hours ago   4.27MB`,
    `reg:5000/x/y   1.0       ${'c'.repeat(12)}   2 hours ago   4.27MB`,
    `<none>         <none>    ${'d'.repeat(12)}   2 hours ago   1.23kB`,
    '',
  ].join('\n'));
});

test('history rows', () => {
  const rows = historyRows([{ Id: '<missing>', Created: now / 1000 - 60, CreatedBy: '/bin/sh -c #(nop)\tCMD ["sh"] and a long tail of words here', Tags: null, Size: 0, Comment: '' }], { trunc: true, human: true }, now);
  assert.equal(rows[0]?.['ID'], '<missing>');
  assert.equal(rows[0]?.['CreatedSince'], 'About a minute ago');
  assert.equal(rows[0]?.['CreatedBy'], '/bin/sh -c #(nop) CMD ["sh"] and a long tail…');
  assert.equal(rows[0]?.['Size'], '0B');
  const raw = historyRows([{ Id: 'sha256:abc', Created: 0, CreatedBy: '', Tags: null, Size: 5, Comment: '' }], { trunc: false, human: false }, now);
  assert.equal(raw[0]?.['Size'], '5');
  assert.equal(raw[0]?.['CreatedSince'], '1970-01-01T00:00:00Z');
});

test('helpers', () => {
  assert.equal(ellipsis('abcdef', 4), 'abc…');
  assert.equal(ellipsis('abc', 4), 'abc');
  assert.equal(truncateId(`sha256:${id}`), 'a'.repeat(12));
});
