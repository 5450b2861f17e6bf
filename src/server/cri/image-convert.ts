import { normalizeReference } from '../../oci/index.js';
import type { ImageConfigJson, StoredImage } from '../../services/index.js';
import type { CriDeps } from './deps.js';

/** runtime.v1.Image, as the proto-loader shapes it (snake_case, uint64 as a decimal string). */
export interface CriImage {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: string;
  uid: { value: string } | null;
  username: string;
  spec: { image: string; annotations: Record<string, string> };
  pinned: boolean;
}

/** The image's user as kubelet wants it: a numeric uid (runAsNonRoot checks it), else the name. */
export function imageUser(user: string | undefined): { uid: { value: string } | null; username: string } {
  const name = (user ?? '').split(':')[0] ?? '';
  if (name === '') return { uid: null, username: '' };
  if (/^\d+$/.test(name)) return { uid: { value: String(BigInt(name)) }, username: '' };
  return { uid: null, username: name };
}

/** References in CRI's full form (docker.io/library/busybox:latest), as containerd reports them. */
function fullRefs(refs: string[]): string[] {
  return refs.map((r) => {
    try {
      return normalizeReference(r);
    } catch {
      return r;
    }
  });
}

export function toCriImage(img: StoredImage, config: ImageConfigJson, deps: Pick<CriDeps, 'images' | 'config'>): CriImage {
  const tags = fullRefs(deps.images.tagsOf(img.id));
  let sandbox = '';
  try {
    sandbox = normalizeReference(deps.config.sandboxImage);
  } catch {
    /* an unparsable sandbox-image is refused when daemon.json is read */
  }
  const user = config.config?.['User'];
  return {
    id: img.id,
    repo_tags: tags,
    repo_digests: fullRefs(deps.images.repoDigestsOf(img.id)),
    size: String(img.size),
    ...imageUser(typeof user === 'string' ? user : undefined),
    spec: { image: img.id, annotations: {} },
    // kubelet's image GC leaves a pinned image alone: the pause image pods stand on.
    pinned: sandbox !== '' && tags.includes(sandbox),
  };
}
