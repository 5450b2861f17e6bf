import { parseChanges } from '../../core/images/index.js';
import type { EventBus } from '../../core/events/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ImageConfigConfig } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import type { CommitLayer, ImageConfigJson, ImageService, StoredImage } from '../images/index.js';

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Dockerfile instructions (--change). */
  changes: string[];
}


function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const e of extra) {
    const k = e.slice(0, e.indexOf('=') >>> 0);
    const i = out.findIndex((x) => x.slice(0, x.indexOf('=') >>> 0) === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/**
 * The committed image's runtime config: the container's own config (the image's merged with what
 * `run` set), then the --change instructions on top, as Docker's BuildFromConfig applies them.
 */
export function commitConfig(parent: Record<string, unknown>, rec: ContainerRecord, changeLines: string[]): Record<string, unknown> {
  const p = rec.spec.process;
  const cfg: Record<string, unknown> = { ...parent };
  const set = (k: string, v: unknown, keep: boolean): void => {
    if (keep) cfg[k] = v;
    else delete cfg[k];
  };
  const { labels, volumes } = rec.spec;
  const { exposedPorts } = rec.spec.networking;
  const { stopSignal } = rec.spec.lifecycle;
  const keys = (l: string[]): Record<string, object> => Object.fromEntries(l.map((k) => [k, {}]));
  set('User', p.user, p.user !== '');
  set('Env', p.env, p.env.length > 0);
  set('Cmd', p.command, p.command !== null);
  set('Entrypoint', p.entrypoint, p.entrypoint !== null);
  set('WorkingDir', p.cwd, p.cwd !== '');
  set('Labels', labels, Object.keys(labels).length > 0);
  set('StopSignal', stopSignal, stopSignal !== '');
  set('ExposedPorts', keys(exposedPorts), exposedPorts.length > 0);
  set('Volumes', keys(volumes), volumes.length > 0);
  const ch: Partial<ImageConfigConfig> = parseChanges(changeLines);
  if (ch.Env) cfg['Env'] = mergeEnv((cfg['Env'] as string[] | undefined) ?? [], ch.Env);
  if (ch.Labels) cfg['Labels'] = { ...((cfg['Labels']) ?? {}), ...ch.Labels };
  if (ch.ExposedPorts) cfg['ExposedPorts'] = { ...((cfg['ExposedPorts']) ?? {}), ...ch.ExposedPorts };
  if (ch.Volumes) cfg['Volumes'] = { ...((cfg['Volumes']) ?? {}), ...ch.Volumes };
  if (ch.Entrypoint !== undefined) {
    cfg['Entrypoint'] = ch.Entrypoint;
    // As in a Dockerfile: a new ENTRYPOINT drops the inherited CMD unless CMD is set as well.
    if (ch.Cmd === undefined) delete cfg['Cmd'];
  }
  if (ch.Cmd !== undefined) cfg['Cmd'] = ch.Cmd;
  for (const k of ['User', 'WorkingDir', 'StopSignal'] as const) if (ch[k] !== undefined) cfg[k] = ch[k];
  if (ch.OnBuild) cfg['OnBuild'] = [...((cfg['OnBuild'] as string[] | null | undefined) ?? []), ...ch.OnBuild];
  return cfg;
}

/** Checks a commit's repository and tag before any work is done; returns the full reference. */
export function commitReference(images: ImageService, repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo) {
    if (tag) throw new InvalidArgument('tag is specified without a repository');
    return undefined;
  }
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidArgument(`invalid tag format: ${tag}`);
  const full = images.normalize(tag ? `${repo}:${tag}` : repo);
  if (full.includes('@')) throw new InvalidArgument('refusing to create a tag with a digest reference');
  return full;
}

/**
 * Records a new image: the container's image plus `layer` (exactly one more layer; none, marked
 * empty_layer in the history, when nothing changed), with the commit's config and history entry.
 */
export async function commitImage(images: ImageService, bus: EventBus | undefined, rec: ContainerRecord, layer: CommitLayer, opts: CommitOptions, signal?: AbortSignal): Promise<Digest> {
  const ref = commitReference(images, opts.repo, opts.tag);
  const parent: StoredImage = images.get(rec.imageId);
  const parentCfg: ImageConfigJson = await images.config(parent);
  const img = await images.writeImage({
    parent,
    parentConfig: parentCfg,
    layer,
    config: commitConfig(parentCfg.config ?? {}, rec, opts.changes),
    history: {
      created_by: rec.spec.process.args.join(' '),
      ...(opts.author ? { author: opts.author } : {}),
      ...(opts.comment ? { comment: opts.comment } : {}),
    },
    extra: { container: rec.id },
    ...(ref ? { refs: [ref] } : {}),
    ...(signal ? { signal } : {}),
  });
  bus?.publish('container', 'commit', rec.id, {
    comment: opts.comment ?? '',
    imageID: img.id,
    imageRef: ref ? images.familiar(ref) : img.id,
    name: rec.name,
    image: rec.spec.rootfs.image,
  });
  if (ref) bus?.publish('image', 'tag', img.id, { name: images.familiar(ref) });
  return img.id;
}
