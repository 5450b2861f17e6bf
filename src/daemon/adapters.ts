import type { Readable, Writable } from 'node:stream';
import type { ContentStore } from '../core/content/index.js';
import { readImageArchive, writeImageArchive } from '../core/images/index.js';
import type { ImageStore } from '../core/metadata/index.js';
import { familiarString, normalizeReference, parseReference } from '../oci/index.js';
import type { ArchiveCodec, ImageRecords, References } from '../services/index.js';
import type { Digest } from '../util/index.js';

/** The metadata image store in the role the image service asks for. */
export function imageRecords(store: ImageStore): ImageRecords {
  return {
    put: (rec, tags) => store.put(rec, tags),
    get: (id) => store.get(id),
    resolve: (ref) => store.resolve(ref),
    list: () => store.list(),
    tag: (id, ref) => store.tag(id, ref),
    untag: (ref) => {
      store.untag(ref);
    },
    tagsOf: (id) => store.tagsOf(id),
    repoDigestsOf: (id) => store.repoDigestsOf(id),
    delete: (id) => store.delete(id),
    byTag: (ref) => store.byTag(ref),
    childrenOf: (id) => store.childrenOf(id as never),
  };
}

export function references(): References {
  return {
    normalize: (ref) => normalizeReference(ref),
    familiar: (full) => familiarString(parseReference(full)),
    split: (full) => {
      const r = parseReference(full);
      return { repo: familiarString({ domain: r.domain, path: r.path }), tag: r.tag ?? '' };
    },
  };
}

export function imageArchives(content: ContentStore): ArchiveCodec {
  return {
    async read(source: Readable, signal?: AbortSignal, onCommit?: (digest: Digest) => void) {
      const loaded = await readImageArchive(source, content, { ...(signal ? { signal } : {}), ...(onCommit ? { onCommit } : {}) });
      return loaded.map((l) => ({
        configDigest: l.configDigest,
        layers: l.layers.map((x) => ({ digest: x.digest, mediaType: x.mediaType, size: x.size, ...(x.uncompressedSize !== undefined ? { uncompressedSize: x.uncompressedSize } : {}) })),
        ...(l.manifestDigest ? { manifestDigest: l.manifestDigest } : {}),
        repoTags: l.repoTags,
      }));
    },
    write(images, out: Writable, signal?: AbortSignal) {
      return writeImageArchive(images, content, out, signal ? { signal } : {});
    },
  };
}
