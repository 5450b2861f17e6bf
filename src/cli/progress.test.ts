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
  r.render({ status: 'Pulling fs layer', id: 'abc', progressDetail: {} });
  r.render({ status: 'Downloading', id: 'abc', progress: '[==>   ] 1MB/2MB', progressDetail: { current: 1e6, total: 2e6 } });
  r.render({ status: 'Downloading', id: 'abc', progress: '[=====>] 2MB/2MB', progressDetail: { current: 2e6, total: 2e6 } });
  r.render({ status: 'Download complete', id: 'abc', progressDetail: {} });
  r.render({ stream: 'Loaded image: x:latest\n' });
  // As docker without a terminal: the messages that only move a bar are not printed.
  assert.equal(c.text(), 'latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Download complete\nLoaded image: x:latest\n');
});

test('a terminal rewrites the line of a known id in place', () => {
  const c = capture();
  const r = new ProgressRenderer(c.out, true);
  r.render({ status: 'Waiting', id: 'a', progressDetail: {} });
  r.render({ status: 'Waiting', id: 'b', progressDetail: {} });
  r.render({ status: 'Pull complete', id: 'a', progressDetail: {} });
  assert.equal(c.text(), '\x1b[2Ka: Waiting\n\x1b[2Kb: Waiting\n\x1b[2A\r\x1b[2Ka: Pull complete\r\x1b[2B');
});

test('a terminal draws the bar from progressDetail, without the bar box at 110 columns or fewer', () => {
  const wide = capture();
  Object.assign(wide.out, { columns: 120 });
  new ProgressRenderer(wide.out, true).render({ status: 'Downloading', id: 'a', progressDetail: { current: 1_500_000, total: 3_000_000 } });
  assert.equal(wide.text(), `\x1b[2Ka: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]    1.5MB/3MB\n`);
  const narrow = capture();
  Object.assign(narrow.out, { columns: 80 });
  new ProgressRenderer(narrow.out, true).render({ status: 'Extracting', id: 'a', progressDetail: { current: 3_000_000, total: 3_000_000 } });
  assert.equal(narrow.text(), '\x1b[2Ka: Extracting      3MB/3MB\n');
});
