import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyFor, urlFileName } from './add-url.js';
import { applyCopy, mergePlans, planCopy } from './copy.js';
import { Excluder } from './exclude.js';
import { parseBuildPlatform, platformArgs } from './platform.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-copyopt-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const ctxOpts = { fromContext: true, unpack: false };

test('--exclude patterns: segments, **, directories exclude what is below them', () => {
  const x = new Excluder(['*.log', 'skip/', '**/*.tmp', 'a/b?']);
  assert.equal(x.excludes('x.log'), true);
  assert.equal(x.excludes('sub/x.log'), false, '* does not cross /');
  assert.equal(x.excludes('skip/inner/file'), true);
  assert.equal(x.excludes('deep/er/f.tmp'), true);
  assert.equal(x.excludes('f.tmp'), true);
  assert.equal(x.excludes('a/bc/d'), true);
  assert.equal(x.excludes('a/bcd'), false);
  assert.throws(() => new Excluder(['!keep']), /exceptions \(!\) are not supported/);
});

test('COPY --exclude and --parents (with the ./ pivot) place files as BuildKit does', async () => {
  const ctx = tree({ 'a/x.txt': 'x', 'b/c/y.txt': 'y', 'src/lib/z.txt': 'z', 'd/keep': 'k', 'd/drop.log': 'l', 'd/e/drop.log': 'l2' });
  const root = tree({});
  try {
    await applyCopy(root, await planCopy(ctx, ['a/x.txt', 'b/c'], { ...ctxOpts, parents: true }), '/p/', ctxOpts);
    assert.equal(readFileSync(join(root, 'p/a/x.txt'), 'utf8'), 'x');
    assert.equal(readFileSync(join(root, 'p/b/c/y.txt'), 'utf8'), 'y');
    await applyCopy(root, await planCopy(ctx, ['src/./lib/z.txt'], { ...ctxOpts, parents: true }), '/v/', ctxOpts);
    assert.equal(readFileSync(join(root, 'v/lib/z.txt'), 'utf8'), 'z');
    await applyCopy(root, await planCopy(ctx, ['./**/*.txt'], { ...ctxOpts, parents: true }), '/star/', ctxOpts);
    assert.deepEqual(['star/a/x.txt', 'star/b/c/y.txt', 'star/src/lib/z.txt'].map((p) => readFileSync(join(root, p), 'utf8')), ['x', 'y', 'z']);
    await applyCopy(root, await planCopy(ctx, ['./src/./*/z.txt'], { ...ctxOpts, parents: true }), '/piv/', ctxOpts);
    assert.equal(readFileSync(join(root, 'piv/lib/z.txt'), 'utf8'), 'z');
    await applyCopy(root, await planCopy(ctx, ['d'], { ...ctxOpts, exclude: ['*.log'] }), '/ex/', ctxOpts);
    assert.deepEqual([existsSync(join(root, 'ex/keep')), existsSync(join(root, 'ex/drop.log')), existsSync(join(root, 'ex/e/drop.log'))], [true, false, true]);
    await assert.rejects(planCopy(ctx, ['d/drop.log'], { ...ctxOpts, exclude: ['*.log'] }), /no source files were specified/);
    // Parents and exclusions are part of the checksum that keys the cache.
    const plain = await planCopy(ctx, ['a/x.txt'], ctxOpts);
    const kept = await planCopy(ctx, ['a/x.txt'], { ...ctxOpts, parents: true });
    assert.notEqual(plain.hash, kept.hash);
    assert.equal(mergePlans([plain]).hash, plain.hash);
    assert.match(mergePlans([plain, kept]).hash, /^multi:/);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test('platforms: normalized as BuildKit names them; the automatic ARGs', () => {
  assert.deepEqual(parseBuildPlatform('linux/aarch64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parseBuildPlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parseBuildPlatform('Linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parseBuildPlatform('linux//x'), /invalid platform/);
  const a = platformArgs({ os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual([a['TARGETPLATFORM'], a['TARGETOS'], a['TARGETARCH'], a['TARGETVARIANT']], ['linux/arm/v6', 'linux', 'arm', 'v6']);
  assert.equal(a['BUILDOS'], 'linux');
  assert.equal(a['BUILDPLATFORM'], `linux/${a['BUILDARCH'] as string}${a['BUILDVARIANT'] ? `/${a['BUILDVARIANT']}` : ''}`);
});

test('ADD names a URL download after its path', () => {
  assert.equal(urlFileName(new URL('http://h/a/b/file.tar.gz?x=1')), 'file.tar.gz');
  assert.equal(urlFileName(new URL('http://h/')), '__unnamed__');
  assert.equal(urlFileName(new URL('http://h/dir/na%20me')), 'na me');
});

test('ADD picks its proxy: build args first, else berthd\'s environment; NO_PROXY by host and domain', () => {
  const u = (s: string): URL => new URL(s);
  assert.equal(proxyFor(u('http://a.example/x'), { HTTP_PROXY: 'http://p:3128' }, {})?.href, 'http://p:3128/');
  assert.equal(proxyFor(u('https://a.example/x'), { https_proxy: 'p:8080' }, {})?.host, 'p:8080');
  assert.equal(proxyFor(u('https://a.example/x'), { HTTP_PROXY: 'http://p:3128' }, {}), null, 'https takes HTTPS_PROXY');
  assert.equal(proxyFor(u('http://a.example/x'), {}, { http_proxy: 'http://envp:1' })?.host, 'envp:1');
  assert.equal(proxyFor(u('http://a.example/x'), { NO_PROXY: 'other' }, { HTTP_PROXY: 'http://envp:1' }), null, 'build args replace the environment');
  for (const no of ['.example', 'example', 'a.example', '*', 'x, a.example:80']) assert.equal(proxyFor(u('http://a.example/x'), { HTTP_PROXY: 'http://p:1', NO_PROXY: no }, {}), null, no);
  assert.notEqual(proxyFor(u('http://a.example/x'), { HTTP_PROXY: 'http://p:1', NO_PROXY: 'b.example,xample' }, {}), null);
});
