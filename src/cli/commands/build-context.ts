import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import { InvalidArgument } from '../../errdefs/index.js';
import { entryTypeOf, TarWriter, type TarHeader } from '../../util/tar/index.js';

/** The .dockerignore patterns of a context directory (none when it has no such file). */
export async function ignorePatterns(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * The build context as the docker CLI sends it: a tar of the directory without what .dockerignore
 * excludes (the Dockerfile and .dockerignore themselves are always sent), owned by 0:0. A Dockerfile
 * outside the context is added under a generated name, which the result names.
 */
export async function packContext(dir: string, dockerfile: string | undefined): Promise<{ tar: Readable; dockerfile: string }> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => null);
  if (!st?.isDirectory()) throw new InvalidArgument(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
  const dfAbs = dockerfile === undefined ? join(root, 'Dockerfile') : resolve(dockerfile);
  const dfRel = relative(root, dfAbs);
  const inside = !dfRel.startsWith('..') && !dfRel.startsWith('/');
  if (!(await lstat(dfAbs).catch(() => null))) throw new InvalidArgument(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dfAbs}: no such file or directory`);
  const dfName = inside ? dfRel : `.dockerfile.${Math.random().toString(16).slice(2, 14)}`;
  const patterns = await ignorePatterns(root);
  // A CommonJS module: its default export is the factory itself.
  const ig = (dockerignore as unknown as typeof dockerignore.default)().add(patterns);
  const exceptions = patterns.some((p) => p.startsWith('!'));
  const keep = (rel: string): boolean => rel === dfName || rel === '.dockerignore' || !ig.ignores(rel);
  // A Dockerfile from outside joins the context under its own name, and (as the docker CLI does)
  // .dockerignore names it, and itself when the user had none, so the daemon drops them once read.
  const own = (await lstat(join(root, '.dockerignore')).catch(() => null)) !== null;
  const ignoreText = inside ? null : Buffer.from([...patterns, ...(own ? [] : ['.dockerignore']), dfName, ''].join('\n'));
  const w = new TarWriter();
  const add = async (abs: string, rel: string): Promise<void> => {
    const s = await lstat(abs);
    const type = entryTypeOf(s);
    if (!type || type === 'char' || type === 'block') return;
    const h: TarHeader = { name: rel, type, size: s.isFile() ? s.size : 0, mode: s.mode & 0o7777, uid: 0, gid: 0, mtime: s.mtime };
    if (type === 'symlink') h.linkname = await readlink(abs);
    await w.add(h, s.isFile() && s.size > 0 ? createReadStream(abs) : undefined);
  };
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const n of (await readdir(abs)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const a = join(abs, n);
      const s = await lstat(a);
      const kept = keep(r);
      if (kept && !(r === '.dockerignore' && ignoreText)) await add(a, r);
      // An excluded directory is still walked when a '!' pattern may bring something back.
      if (s.isDirectory() && (kept || exceptions)) await walk(a, r);
    }
  };
  void (async () => {
    await walk(root, '');
    if (ignoreText) {
      const s = await lstat(dfAbs);
      await w.add({ name: dfName, type: 'file', size: s.size, mode: 0o644, uid: 0, gid: 0, mtime: s.mtime }, createReadStream(dfAbs));
      await w.add({ name: '.dockerignore', type: 'file', size: ignoreText.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, ignoreText);
    }
    await w.finish();
  })().catch((e: unknown) => w.stream.destroy(e instanceof Error ? e : new Error(String(e))));
  return { tar: w.stream, dockerfile: inside ? dfRel : dfName };
}

