import type { Credentials, SearchHit } from '../../core/remotes/index.js';
import { DOCKER_HUB } from '../../core/remotes/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { familiarName, parseReference, repositoryName } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import { ImagePuller, type PreparedPull } from './pull.js';
import { ImagePusher, type PreparedPush } from './push.js';
import type { RemoteImageDeps, RemoteOptions } from './remote-deps.js';
import { searchImages, type SearchOptions } from './search.js';
import { inspectDistribution, type DistributionInfo } from './distribution.js';

/** The registry host a login names: Docker Hub's https://index.docker.io/v1/ is docker.io. */
export function loginHost(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (s === '') return DOCKER_HUB;
  const host = s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === '') throw new InvalidArgument(`invalid registry address ${JSON.stringify(s)}`);
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DOCKER_HUB : host;
}

/** Pull, push and login: the image service's exchange with registries. */
export class RemoteImages {
  readonly #puller: ImagePuller;
  readonly #pusher: ImagePusher;

  constructor(readonly deps: RemoteImageDeps) {
    this.#puller = new ImagePuller(deps);
    this.#pusher = new ImagePusher(deps);
  }

  /** Resolves the reference at once (NotFound for a missing tag); `run` fetches, unpacks and records. */
  preparePull(ref: string, opts: RemoteOptions & { platform?: string } = {}): Promise<PreparedPull> {
    return this.#puller.prepare(ref, opts);
  }

  /** `pull -a`: every tag of the repository, one after the other in one progress stream. */
  async preparePullAll(repoName: string, opts: RemoteOptions & { platform?: string } = {}): Promise<PreparedPull> {
    const ref = parseReference(repoName);
    if (ref.tag !== undefined || ref.digest !== undefined) throw new InvalidArgument('tag can be used only with --all-tags/-a');
    const tags = await this.deps.remote.listTags({ domain: ref.domain, path: ref.path }, opts.creds, opts.signal);
    if (tags.length === 0) throw new NotFound(`no tags found for ${familiarName(ref)}`);
    const jobs = await Promise.all(tags.map((t) => this.#puller.prepare(`${repositoryName(ref)}:${t}`, opts)));
    return {
      familiar: familiarName(ref),
      run: async (progress) => {
        let last: { id: Digest; digest: Digest } | undefined;
        for (const j of jobs) last = await j.run(progress);
        return last as { id: Digest; digest: Digest };
      },
    };
  }

  preparePush(name: string, tag: string | undefined, opts: RemoteOptions = {}): PreparedPush {
    return this.#pusher.prepare(name, tag, opts);
  }

  /** `GET /images/search`: Docker Hub's index, or a registry named in the term. */
  search(term: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return searchImages(this.deps.remote, term, opts);
  }

  /** `GET /distribution/{name}/json`: the reference's manifest descriptor and platforms, nothing pulled. */
  inspectDistribution(ref: string, opts: RemoteOptions = {}): Promise<DistributionInfo> {
    return inspectDistribution(this.deps.remote, ref, opts);
  }

  /** `POST /auth`: Unauthorized in the registry's words when the credentials are refused. */
  async login(serverAddress: string | undefined, creds: Credentials, signal?: AbortSignal): Promise<void> {
    await this.deps.remote.login(loginHost(serverAddress), creds, signal);
  }
}
