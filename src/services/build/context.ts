import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decompress } from '../../core/diff/index.js';
import { resolveInRoot } from '../../core/runtime/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { peek } from '../../util/index.js';
import { extractInto } from '../fs/index.js';

export interface BuildContextDir {
  dir: string;
  dockerfile: string;
  release(): Promise<void>;
}

const DOCKERFILE_IN_BODY = '.berth-dockerfile-from-body';

function isTarBlock(b: Buffer): boolean {
  if (b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // An archive with nothing in it starts with its end-of-archive zero blocks.
  return b.length >= 512 && b.subarray(0, 512).every((x) => x === 0);
}

/**
 * Unpacks the request body into a private directory: a tar (plain, gzip or zstd), confined as any
 * archive is ('..' refused, symlinks never followed out), or a bare Dockerfile, which Docker also
 * accepts as the whole body (`docker build - < Dockerfile`). Then reads the Dockerfile, resolved
 * inside the context.
 */
export async function receiveContext(body: AsyncIterable<Uint8Array>, scratchDir: string, dockerfile: string, signal?: AbortSignal): Promise<BuildContextDir> {
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(scratchDir, 'build-'));
  const release = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const dec = await decompress(body, signal);
    const { head: first, rest: whole } = await peek(dec.chunks, 512);
    let name = dockerfile;
    if (first.length === 0) throw new InvalidArgument('the build context is empty: send a tar of the context directory (or a Dockerfile) as the body');
    if (isTarBlock(first)) {
      await extractInto(dir, [], whole, { noOverwriteDirNonDir: false, ...(signal ? { signal } : {}) });
    } else {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of whole) {
        size += c.length;
        if (size > 16 << 20) throw new InvalidArgument('the request body is neither a tar archive nor a Dockerfile under 16 MB');
        chunks.push(c);
      }
      name = DOCKERFILE_IN_BODY;
      await writeFile(join(dir, name), Buffer.concat(chunks));
    }
    await dec.done();
    const text = await readDockerfile(dir, name, dockerfile);
    await dropIgnoredBuildFiles(dir, name);
    return { dir, dockerfile: text, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/**
 * As Docker's daemon does: when .dockerignore names the Dockerfile or itself (the docker CLI adds
 * both for a Dockerfile from outside the context), they leave the context once read.
 */
async function dropIgnoredBuildFiles(dir: string, dockerfile: string): Promise<void> {
  const text = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const names = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^(\.\/|\/)+/, '')));
  for (const n of [dockerfile, '.dockerignore']) {
    if (names.has(n)) await rm(await resolveInRoot(dir, n), { force: true });
  }
}

async function readDockerfile(dir: string, name: string, asGiven: string): Promise<string> {
  const tryRead = async (n: string): Promise<string | null> => {
    try {
      return await readFile(await resolveInRoot(dir, n), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      if (code === 'EISDIR') throw new InvalidArgument(`Cannot locate specified Dockerfile: ${asGiven} (it is a directory)`, { cause: e });
      throw e;
    }
  };
  const text = (await tryRead(name)) ?? (name === 'Dockerfile' ? await tryRead('dockerfile') : null);
  if (text === null) throw new InvalidArgument(`Cannot locate specified Dockerfile: ${asGiven}`);
  return text;
}
