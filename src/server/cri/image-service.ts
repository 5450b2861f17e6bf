import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgument, isNotFound } from '../../errdefs/index.js';
import type { Credentials, StoredImage } from '../../services/index.js';
import type { CriDeps, ImageFsUsage } from './deps.js';
import { toCriImage, type CriImage } from './image-convert.js';
import { unary } from './rpc.js';

type Req = Record<string, unknown>;

const USAGE_TTL_MS = 5000;

function object(v: unknown): Req | null {
  return v && typeof v === 'object' ? (v as Req) : null;
}

/** ImageSpec.image of a request; `required` refuses an empty one, naming the RPC. */
function imageRef(rpc: string, spec: unknown, required = true): string {
  const ref = object(spec)?.['image'];
  const s = typeof ref === 'string' ? ref.trim() : '';
  if (s === '' && required) throw new InvalidArgument(`${rpc}: the image is required (ImageSpec.image is empty)`);
  return s;
}

/** The image a reference or id names, or undefined where there is none (CRI's "not present"). */
function lookup(deps: CriDeps, ref: string): StoredImage | undefined {
  try {
    return deps.images.get(ref);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** AuthConfig into berth's credentials: `auth` is base64 of user:password, as in a docker config.json. */
export function credentialsOf(auth: unknown): Credentials | undefined {
  const a = object(auth);
  if (!a) return undefined;
  const str = (k: string): string => (typeof a[k] === 'string' ? (a[k]) : '');
  let username = str('username');
  let password = str('password');
  if (str('auth') !== '') {
    const decoded = Buffer.from(str('auth'), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new InvalidArgument('PullImage: AuthConfig.auth is not base64 of username:password');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const creds: Credentials = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(str('identity_token') ? { identityToken: str('identity_token') } : {}),
    ...(str('registry_token') ? { registryToken: str('registry_token') } : {}),
  };
  return Object.keys(creds).length ? creds : undefined;
}

async function criImage(deps: CriDeps, img: StoredImage): Promise<CriImage> {
  return toCriImage(img, await deps.images.config(img), deps);
}

/** runtime.v1.ImageService on berth's one image store: what CRI pulls, `berth images` lists. */
export function imageService(deps: CriDeps): UntypedServiceImplementation {
  // kubelet asks every few seconds (eviction manager, stats); a walk of the layers is not free, so
  // a measurement serves for a few seconds, with the time it was taken, and calls in between share it.
  let usage: { at: number; figures: Promise<ImageFsUsage> } | undefined;
  const measure = (): { at: number; figures: Promise<ImageFsUsage> } => {
    if (!usage || Date.now() - usage.at > USAGE_TTL_MS) {
      const fresh = { at: Date.now(), figures: deps.imageFsUsage() };
      fresh.figures.catch(() => (usage = undefined));
      usage = fresh;
    }
    return usage;
  };
  return {
    ListImages: unary('ListImages', async (req) => {
      const want = imageRef('ListImages', object(req['filter'])?.['image'], false);
      // Build steps (untagged parents of other images) are berth's build cache, not images for pods:
      // kubelet's GC would only meet refusals removing them.
      let imgs = deps.images.list().filter((i) => !deps.images.isIntermediate(i));
      if (want !== '') {
        const hit = lookup(deps, want);
        imgs = hit ? imgs.filter((i) => i.id === hit.id) : [];
      }
      return { images: await Promise.all(imgs.map((i) => criImage(deps, i))) };
    }),

    ImageStatus: unary('ImageStatus', async (req) => {
      const img = lookup(deps, imageRef('ImageStatus', req['image']));
      // An absent image is not an error in CRI: kubelet reads the empty answer as "pull it".
      if (!img) return { image: null, info: {} };
      const config = await deps.images.config(img);
      const info: Record<string, string> = {};
      if (req['verbose'] === true) {
        const chain = deps.images.chainIdsOf(img);
        info['info'] = JSON.stringify({ chainID: chain[chain.length - 1] ?? '', manifestDigest: img.manifestDigest ?? '', imageSpec: config });
      }
      return { image: toCriImage(img, config, deps), info };
    }),

    PullImage: unary('PullImage', async (req, ctx) => {
      const ref = imageRef('PullImage', req['image']);
      const creds = credentialsOf(req['auth']);
      const job = await deps.remotes.preparePull(ref, { ...(creds ? { creds } : {}), signal: ctx.signal });
      const { id } = await job.run(() => undefined);
      // containerd answers with the image id: kubelet names the image by it from then on.
      return { image_ref: id };
    }),

    RemoveImage: unary('RemoveImage', async (req) => {
      const img = lookup(deps, imageRef('RemoveImage', req['image']));
      // Removing what is not there succeeds, as in containerd: kubelet's GC may race a user's rmi.
      if (!img) return {};
      // By id with every reference, as containerd's CRI: the image goes, not just one of its tags.
      await deps.images.remove(img.id, { force: true, prune: false });
      return {};
    }),

    ImageFsInfo: unary('ImageFsInfo', async () => {
      const m = measure();
      const u = await m.figures;
      return {
        image_filesystems: [
          {
            timestamp: String(BigInt(m.at) * 1_000_000n),
            fs_id: { mountpoint: u.mountpoint },
            used_bytes: { value: String(u.usedBytes) },
            inodes_used: { value: String(u.inodesUsed) },
          },
        ],
      };
    }),
  };
}
