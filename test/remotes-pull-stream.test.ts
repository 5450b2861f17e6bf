import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { BERTH, TestDaemon } from './helpers/daemon.js';
import { pushLayeredImage, screenOf, tarOf, type LayerSpec } from './remotes-layered.js';
import { startRegistry } from './remotes-helpers.js';

/**
 * Four layers in every compression berth reads, with whiteouts: the second deletes a file and
 * makes a directory opaque, so a layer applied out of order or without its parent shows.
 */
function layeredImage(): LayerSpec[] {
  const busybox = readFileSync('/bin/busybox');
  return [
    { compression: 'gzip', tar: tarOf({ 'bin/sh': busybox, 'bin/cat': busybox, 'bin/ls': busybox, 'a/gone': 'x', 'a/kept': 'k', 'd/old': 'o', 'big1': randomBytes(3 << 20) }) },
    { compression: 'zstd', tar: tarOf({ 'a/.wh.gone': null, 'd/.wh..wh..opq': null, 'd/new': 'n', 'big2': randomBytes(2 << 20) }) },
    { compression: 'none', tar: tarOf({ 'c/three': '3', 'big3': randomBytes(1 << 20) }) },
    { compression: 'gzip', tar: tarOf({ 'c/four': '4' }) },
  ];
}

const shortIds = (blobs: string[]): string[] => blobs.map((b) => b.slice(7, 19));

/** Plain output: each layer's statuses in Docker's order; `waiting` layers queued behind the download limit. */
function assertLayerLines(stdout: string, blobs: string[], waiting: number): void {
  let waited = 0;
  for (const id of shortIds(blobs)) {
    const lines = stdout.split('\n').filter((l) => l.startsWith(`${id}: `)).map((l) => l.slice(14));
    if (lines[1] === 'Waiting') {
      waited++;
      lines.splice(1, 1);
    }
    assert.deepEqual(lines, ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete'], stdout);
  }
  assert.equal(waited, waiting, stdout);
}

/** The tree a container of the image sees, for comparing drivers. */
async function treeIn(d: TestDaemon, image: string): Promise<string> {
  const r = await d.berth(['run', '--rm', image, 'sh', '-c', 'ls /a /c /d; cat /a/kept /c/three /c/four /d/new; ls /big1 /big2 /big3']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** What the Engine API streams for a pull, parsed (the same stream the docker CLI reads). */
function apiPull(d: TestDaemon, image: string): Promise<Record<string, unknown>[]> {
  const [fromImage, tag] = image.split(/:(?=[^:/]+$)/);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/v1.41/images/create?fromImage=${encodeURIComponent(fromImage ?? '')}&tag=${tag ?? ''}` }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a layered image (gzip, zstd, plain, whiteouts) pulls in one pass per layer; the API stream carries Docker progress; plain lines without a terminal', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const image = `${reg.host}/layered:1`;
  const { blobs } = pushLayeredImage(image, layeredImage());
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());

  const messages = await apiPull(d, image);
  assert.equal(messages.filter((m) => 'error' in m).length, 0, JSON.stringify(messages.filter((m) => 'error' in m)));
  for (const id of shortIds(blobs)) {
    const mine = messages.filter((m) => m['id'] === id);
    const statuses = mine.map((m) => m['status']);
    assert.deepEqual(statuses.filter((s) => s !== 'Downloading' && s !== 'Extracting' && s !== 'Waiting'), ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete'], `${id}: ${statuses.join(', ')}`);
    // Byte counts travel as progressDetail with Docker's bar text beside them.
    const down = mine.filter((m) => m['status'] === 'Downloading');
    assert.ok(down.length >= 1, `${id} has Downloading messages`);
    for (const m of down) {
      const detail = m['progressDetail'] as { current: number; total: number };
      assert.ok(detail.current > 0 && detail.current <= detail.total, JSON.stringify(m));
      assert.match(String(m['progress']), /^\[=*>? *\] +[\d.]+[kMG]?B\/[\d.]+[kMG]?B$/);
    }
    assert.ok(mine.some((m) => m['status'] === 'Extracting'), `${id} has Extracting messages`);
    assert.ok(statuses.indexOf('Pull complete') > statuses.lastIndexOf('Extracting'));
  }
  assert.ok(messages.some((m) => /^Status: Downloaded newer image for /.test(String(m['status']))));
  // Nothing half-made is left: no temp layer dirs, no partial downloads.
  assert.deepEqual(readdirSync(join(d.dataRoot, 'tmp')).filter((n) => n.startsWith('layer-')), []);
  assert.equal(existsSync(join(d.dataRoot, 'ingest')) ? readdirSync(join(d.dataRoot, 'ingest')).length : 0, 0);
  const overlayTree = await treeIn(d, image);
  assert.equal(overlayTree, '/a:\nkept\n\n/c:\nfour\nthree\n\n/d:\nnew\nk34n/big1\n/big2\n/big3\n');

  // Plain lines when stdout is not a terminal: one per status, no bars, then the full reference.
  assert.equal((await d.berth(['rmi', image])).code, 0);
  const plain = await d.berth(['pull', image]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /\[|\x1b|Downloading|Extracting/);
  assertLayerLines(plain.stdout, blobs, 1);
  assert.ok(plain.stdout.endsWith(`\n${image}\n`), plain.stdout);
  const again = await d.berth(['pull', image]);
  for (const id of shortIds(blobs)) assert.match(again.stdout, new RegExp(`^${id}: Already exists$`, 'm'));
  assert.match(again.stdout, /Status: Image is up to date for /);

  // The same image on the copy driver, where each layer starts as its parent's copy (unpacked in order).
  // One download at a time there (--max-concurrent-downloads 1): every layer but the first waits.
  const c = await TestDaemon.start({ driver: 'copy', args: ['--max-concurrent-downloads', '1'] });
  t.after(() => c.cleanup());
  const onCopy = await c.berth(['pull', image]);
  assert.equal(onCopy.code, 0, onCopy.stderr);
  assertLayerLines(onCopy.stdout, blobs, 3);
  assert.equal(await treeIn(c, image), overlayTree);
});

test('berth pull and docker pull on a terminal: one line per layer, bars while they move, every layer ends in Pull complete', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const image = `${reg.host}/layered:tty`;
  const { blobs } = pushLayeredImage(image, layeredImage());
  const d = await TestDaemon.start();
  t.after(() => d.cleanup());

  for (const client of [BERTH, 'docker']) {
    // script gives the client a real pty; 150 columns so that docker's bar box is drawn.
    const r = await d.run('script', ['-qfec', `stty cols 150 rows 50; ${client} pull ${image}`, '/dev/null']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\x1b\[\d+A/, `${client} rewrote lines in place`);
    assert.match(r.stdout, /Downloading \[=*>? *\] +[\d.]+[kM]?B\/[\d.]+[kM]?B/, `${client} drew download bars`);
    const screen = screenOf(r.stdout);
    for (const id of shortIds(blobs)) {
      const lines = screen.filter((l) => l.startsWith(`${id}:`));
      assert.deepEqual(lines, [`${id}: Pull complete`], `${client} final screen:\n${screen.join('\n')}`);
    }
    assert.ok(screen.some((l) => /^Digest: sha256:[a-f0-9]{64}$/.test(l)), screen.join('\n'));
    assert.ok(screen.some((l) => l === `Status: Downloaded newer image for ${image}`), screen.join('\n'));
    assert.equal(screen.at(-1), image, screen.join('\n'));
    assert.equal((await d.berth(['rmi', image])).code, 0);
  }
});
