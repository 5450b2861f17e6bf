import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressRenderer } from './progress.js';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => { text += d.toString(); });
  return { out, text: () => text };
}

test('plain lines without a terminal, progress bars dropped', () => {
  const c = capture();
  const r = new ProgressRenderer(c.out, false);
  r.render({ status: 'Pulling from library/busybox', id: 'latest' });
  r.render({ status: 'Downloading', id: 'abc', progress: '[==>   ] 1MB/2MB' });
  r.render({ stream: 'Loaded image: x:latest\n' });
  assert.equal(c.text(), 'latest: Pulling from library/busybox\nabc: Downloading\nLoaded image: x:latest\n');
});

test('a terminal rewrites the line of a known id in place', () => {
  const c = capture();
  const r = new ProgressRenderer(c.out, true);
  r.render({ status: 'Waiting', id: 'a' });
  r.render({ status: 'Waiting', id: 'b' });
  r.render({ status: 'Pull complete', id: 'a' });
  assert.equal(c.text(), '\x1b[2Ka: Waiting\n\x1b[2Kb: Waiting\n\x1b[2A\r\x1b[2Ka: Pull complete\r\x1b[2B');
});
