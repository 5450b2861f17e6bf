import { NotFound } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { fullName, goIndent, indent, parseRef, type Ref } from './manifest.js';
import { buildList } from './manifest-list.js';
import { readEntry, readList } from './manifest-store.js';

/**
 * `manifest inspect` of a list in the local store, as the docker CLI shows it: one entry's manifest
 * (LIST MANIFEST), or the list as it would be pushed; false when the store has no such list and
 * the registry is asked instead.
 */
export async function inspectLocal(ctx: CliContext, list: Ref, image: string | undefined, verbose: boolean): Promise<boolean> {
  const name = fullName(list);
  if (image !== undefined) {
    const imageName = fullName(parseRef(image));
    const entry = await readEntry(ctx.env, name, imageName);
    if (!entry) throw new NotFound(`No such manifest: ${imageName}`);
    ctx.out(`${verbose ? goIndent(entry) : indent(entry.OCIManifest ?? entry.SchemaV2Manifest)}\n`);
    return true;
  }
  const entries = await readList(ctx.env, name);
  if (!entries?.length) return false;
  ctx.out(verbose ? `${goIndent(entries)}\n` : `${buildList(entries).toString('utf8')}\n`);
  return true;
}
