import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineApi } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { extractLocal } from './cp-local.js';

/** One `-o/--output` of `berth build`, as buildx spells it. */
export type BuildOutput = { type: 'image'; names: string[] } | { type: 'local' | 'tar'; dest: string } | { type: 'oci' | 'docker'; dest: string; names: string[] };

const KEYS: Record<BuildOutput['type'], string[]> = { image: ['type', 'name', 'push'], local: ['type', 'dest'], tar: ['type', 'dest'], oci: ['type', 'dest', 'name'], docker: ['type', 'dest', 'name'] };

/** Parses `type=local,dest=DIR` (CSV of key=value), or the short forms `DIR` (local) and `-` (tar to stdout). */
export function parseOutput(spec: string): BuildOutput {
  if (!spec.includes('=')) return spec === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: spec };
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new InvalidArgument(`invalid value "${spec}" for --output: "${part}" is not key=value`);
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const type = fields.get('type');
  if (type === undefined) throw new InvalidArgument(`invalid value "${spec}" for --output: type is required (image, local, tar, oci or docker)`);
  if (!(type in KEYS)) {
    if (type === 'registry') throw new InvalidArgument('--output type=registry is not supported by berth: build, then berth push');
    throw new InvalidArgument(`unsupported --output type "${type}": use image, local, tar, oci or docker`);
  }
  const t = type as BuildOutput['type'];
  for (const k of fields.keys()) if (!KEYS[t].includes(k)) throw new InvalidArgument(`--output type=${t} does not take "${k}"`);
  if (t === 'image') {
    const push = fields.get('push');
    if (push !== undefined && push !== 'false') throw new InvalidArgument('--output type=image,push=true is not supported by berth: build, then berth push');
    return { type: 'image', names: names(fields) };
  }
  const dest = fields.get('dest');
  if (!dest) throw new InvalidArgument(`--output type=${t} needs dest= (a ${t === 'local' ? 'directory' : 'file, or - for stdout'})`);
  if (t === 'local' && dest === '-') throw new InvalidArgument('--output type=local needs a directory as dest, not -');
  return t === 'local' || t === 'tar' ? { type: t, dest } : { type: t, dest, names: names(fields) };
}

/** name= of an image, oci or docker output: more names for the image, as -t gives them. */
function names(fields: Map<string, string>): string[] {
  return (fields.get('name') ?? '').split(/[,\s]+/).filter((n) => n !== '');
}

/** The built image's root filesystem as a tar (through a created, never started container). */
async function exportRootfs(api: EngineApi, image: string): Promise<{ tar: Readable; remove: () => Promise<void> }> {
  const c = await api.containerCreate({ Image: image, Cmd: ['berth-build-export'], Entrypoint: null, Labels: {} });
  const remove = (): Promise<void> => api.containerRemove(c.Id, { force: true, volumes: true }).catch(() => undefined);
  try {
    const tar = await api.client.stream('GET', `/containers/${encodeURIComponent(c.Id)}/export`);
    return { tar, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

async function toFile(src: Readable, dest: string, stdout: NodeJS.WritableStream): Promise<void> {
  if (dest === '-') await pipeline(src, stdout, { end: false });
  else await pipeline(src, createWriteStream(dest));
}

/**
 * Writes a finished build where -o asks: local (the final stage's files into a directory), tar (the
 * same as one tar), docker and oci (the image as a `docker save` archive, which is an OCI layout
 * too: `docker load` and `skopeo copy oci-archive:` read it). image needs nothing more.
 */
export async function writeOutput(api: EngineApi, out: BuildOutput, image: string, tags: string[], stdout: NodeJS.WritableStream): Promise<void> {
  switch (out.type) {
    case 'image':
      return;
    case 'local': {
      await mkdir(out.dest, { recursive: true });
      const { tar, remove } = await exportRootfs(api, image);
      try {
        await extractLocal(tar, out.dest, '.', null);
      } finally {
        await remove();
      }
      return;
    }
    case 'tar': {
      const { tar, remove } = await exportRootfs(api, image);
      try {
        await toFile(tar, out.dest, stdout);
      } finally {
        await remove();
      }
      return;
    }
    case 'oci':
    case 'docker':
      return toFile(await api.imageSave(tags.length ? tags : [image]), out.dest, stdout);
  }
}

/** --metadata-file: what buildx writes for an image built by the docker driver. */
export async function writeMetadata(file: string, image: string, tags: string[]): Promise<void> {
  const md: Record<string, string> = { 'containerimage.config.digest': image, 'containerimage.digest': image };
  if (tags.length) md['image.name'] = tags.join(',');
  await writeFile(file, `${JSON.stringify(md, null, 2)}\n`);
}
