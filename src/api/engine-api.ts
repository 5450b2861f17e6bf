import type { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { EngineClient, jsonLines, type ClientOptions } from './client.js';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerPruneResponse,
  ContainerSummary, WaitCondition, WaitResponse,
} from './types-containers.js';
import type { HistoryItem, ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary, JSONMessage } from './types-images.js';
import type { Info, Version } from './types-system.js';

/** Docker's filters argument: `{"key": {"value": true}}`. */
export type Filters = Record<string, Record<string, boolean>>;

/** Parses `k=v` filter flags into the filters object. */
export function parseFilters(flags: readonly string[]): Filters {
  const out: Filters = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    const key = (i < 0 ? f : f.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : f.slice(i + 1);
    (out[key] ??= {})[value] = true;
  }
  return out;
}

const enc = encodeURIComponent;

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

/** The Engine API endpoints the CLI uses, typed. */
export class EngineApi {
  readonly client: EngineClient;
  constructor(opts: ClientOptions | EngineClient) {
    this.client = opts instanceof EngineClient ? opts : new EngineClient(opts);
  }
  close(): void { this.client.close(); }

  /** `HEAD /_ping`: resolves with the advertised API version. */
  async ping(signal?: AbortSignal): Promise<string> {
    const res = await this.client.request('GET', '/_ping', signal ? { signal } : {});
    res.resume();
    const v = res.headers['api-version'];
    return typeof v === 'string' ? v : '';
  }
  version(): Promise<Version> { return this.client.json('GET', '/version'); }
  info(): Promise<Info> { return this.client.json('GET', '/info'); }

  containerCreate(body: ContainerCreateRequest, name?: string, platform?: string): Promise<ContainerCreateResponse> {
    return this.client.json('POST', '/containers/create', { query: { name, platform }, body });
  }
  containerInspect(id: string, size = false): Promise<ContainerInspect> {
    return this.client.json('GET', `/containers/${enc(id)}/json`, { query: { size: size ? true : undefined } });
  }
  containerList(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    const filters = opts.filters && Object.keys(opts.filters).length > 0 ? opts.filters : undefined;
    return this.client.json('GET', '/containers/json', { query: { all: opts.all || undefined, limit: opts.limit, size: opts.size || undefined, filters } });
  }
  async containerStart(id: string, checkpoint?: { name: string; dir?: string | undefined }): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/start`, { query: { checkpoint: checkpoint?.name, 'checkpoint-dir': checkpoint?.dir || undefined } });
  }
  /** The experimental checkpoint endpoints (CRIU): create (Exit = stop the container), list, delete. */
  async checkpointCreate(id: string, opts: { CheckpointID: string; CheckpointDir?: string; Exit: boolean }): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/checkpoints`, { body: opts });
  }
  checkpointList(id: string, dir?: string): Promise<{ Name: string }[]> {
    return this.client.json('GET', `/containers/${enc(id)}/checkpoints`, { query: { dir: dir || undefined } });
  }
  async checkpointDelete(id: string, name: string, dir?: string): Promise<void> {
    await this.client.call('DELETE', `/containers/${enc(id)}/checkpoints/${enc(name)}`, { query: { dir: dir || undefined } });
  }
  async containerStop(id: string, timeout?: number, signal?: string): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/stop`, { query: { t: timeout, signal } });
  }
  async containerRestart(id: string, timeout?: number, signal?: string): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/restart`, { query: { t: timeout, signal } });
  }
  async containerKill(id: string, signal?: string): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/kill`, { query: { signal } });
  }
  async containerRemove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.client.call('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined, v: opts.volumes || undefined, link: opts.link || undefined } });
  }
  async containerPause(id: string): Promise<void> { await this.client.call('POST', `/containers/${enc(id)}/pause`); }
  async containerUnpause(id: string): Promise<void> { await this.client.call('POST', `/containers/${enc(id)}/unpause`); }

  /**
   * Starts waiting; resolves once the response headers arrived (the daemon is then watching), with
   * the eventual result. The docker CLI sends start only after this point.
   */
  async containerWait(id: string, condition: WaitCondition = 'not-running'): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.client.request('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
    const result = (async (): Promise<WaitResponse> => {
      let text = '';
      for await (const c of res) text += (c as Buffer).toString('utf8');
      return JSON.parse(text) as WaitResponse;
    })();
    return { result };
  }
  containerAttach(id: string, opts: AttachOptions): Promise<Duplex> {
    return this.client.hijack('POST', `/containers/${enc(id)}/attach`, undefined, {
      query: { stream: opts.stream, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, logs: opts.logs, detachKeys: opts.detachKeys },
    });
  }
  containerLogs(id: string, opts: LogsOptions): Promise<Readable> {
    return this.client.stream('GET', `/containers/${enc(id)}/logs`, {
      query: { stdout: opts.stdout, stderr: opts.stderr, since: opts.since, until: opts.until, timestamps: opts.timestamps, follow: opts.follow, tail: opts.tail, details: opts.details },
    });
  }
  containerPrune(filters?: Filters): Promise<ContainerPruneResponse> {
    return this.client.json('POST', '/containers/prune', { query: { filters } });
  }
  async containerResize(id: string, h: number, w: number): Promise<void> {
    await this.client.call('POST', `/containers/${enc(id)}/resize`, { query: { h, w } });
  }

  imageList(opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    const filters = opts.filters && Object.keys(opts.filters).length > 0 ? opts.filters : undefined;
    return this.client.json('GET', '/images/json', { query: { all: opts.all || undefined, digests: opts.digests || undefined, filters } });
  }
  imageInspect(name: string): Promise<ImageInspect> { return this.client.json('GET', `/images/${name}/json`); }
  imageHistory(name: string): Promise<HistoryItem[]> { return this.client.json('GET', `/images/${name}/history`); }
  async imageTag(name: string, repo: string, tag?: string): Promise<void> {
    await this.client.call('POST', `/images/${name}/tag`, { query: { repo, tag } });
  }
  imageRemove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    return this.client.json('DELETE', `/images/${name}`, { query: { force: opts.force || undefined, noprune: opts.noprune || undefined } });
  }
  imagePrune(filters?: Filters): Promise<ImagePruneResponse> {
    return this.client.json('POST', '/images/prune', { query: { filters } });
  }
  /** `POST /images/create?fromImage=` (pull): a JSON message stream. */
  async imagePull(fromImage: string, tag?: string, platform?: string): Promise<AsyncIterable<JSONMessage>> {
    const s = await this.client.stream('POST', '/images/create', { query: { fromImage, tag, platform } });
    return jsonLines<JSONMessage>(s);
  }
  async imageImport(source: Readable | string, opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string }): Promise<AsyncIterable<JSONMessage>> {
    const fromSrc = typeof source === 'string' ? source : '-';
    const s = await this.client.stream('POST', '/images/create', {
      query: { fromSrc, repo: opts.repo, tag: opts.tag, changes: opts.changes, message: opts.message, platform: opts.platform },
      ...(typeof source === 'string' ? {} : { body: source }),
    });
    return jsonLines<JSONMessage>(s);
  }
  async imageLoad(body: Readable, quiet: boolean): Promise<AsyncIterable<JSONMessage>> {
    const s = await this.client.stream('POST', '/images/load', { query: { quiet }, body });
    return jsonLines<JSONMessage>(s);
  }
  /** `POST /build` (the classic builder) with the context tar as body: a JSON message stream. */
  async imageBuild(context: Readable, opts: BuildQuery): Promise<AsyncIterable<JSONMessage>> {
    const s = await this.client.stream('POST', '/build', {
      query: {
        t: opts.tags.length ? opts.tags : undefined,
        dockerfile: opts.dockerfile,
        buildargs: Object.keys(opts.buildArgs).length ? JSON.stringify(opts.buildArgs) : undefined,
        labels: Object.keys(opts.labels).length ? JSON.stringify(opts.labels) : undefined,
        target: opts.target,
        nocache: opts.noCache || undefined,
        q: opts.quiet || undefined,
        pull: opts.pull || undefined,
        platform: opts.platform,
        extrahosts: opts.extraHosts?.length ? opts.extraHosts : undefined,
        networkmode: opts.networkMode,
        shmsize: opts.shmSize,
        cachefrom: opts.cacheFrom?.length ? JSON.stringify(opts.cacheFrom) : undefined,
        progress: opts.structured ? 'structured' : undefined,
        nocachefilter: opts.noCacheFilter?.length ? JSON.stringify(opts.noCacheFilter) : undefined,
        buildid: opts.buildId,
        ssh: opts.ssh && Object.keys(opts.ssh).length ? JSON.stringify(opts.ssh) : undefined,
        allow: opts.allow?.length ? JSON.stringify(opts.allow) : undefined,
        rm: true,
        forcerm: true,
      },
      body: context,
      headers: {
        'Content-Type': 'application/x-tar',
        ...(opts.registryConfig ? { 'X-Registry-Config': opts.registryConfig } : {}),
        ...(opts.secrets ? { 'X-Berth-Build-Secrets': opts.secrets } : {}),
      },
    });
    return jsonLines<JSONMessage>(s);
  }
  async buildCancel(buildId: string): Promise<void> {
    await this.client.call('POST', '/build/cancel', { query: { id: buildId } });
  }
  buildPrune(): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.client.json('POST', '/build/prune');
  }
  imageSave(names: string[]): Promise<Readable> {
    return this.client.stream('GET', '/images/get', { query: { names } });
  }
}

export interface BuildQuery {
  tags: string[];
  dockerfile?: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache?: boolean;
  quiet?: boolean;
  pull?: boolean;
  platform?: string;
  /** The RUN containers' --add-host entries, network and /dev/shm size in bytes. */
  extraHosts?: string[];
  networkMode?: string;
  shmSize?: number;
  cacheFrom?: string[];
  /** base64url JSON of server → credentials, for pulling base images. */
  registryConfig?: string;
  /** berth's BuildKit-style progress (JSON messages with id "berth.build.progress") instead of the classic text. */
  structured?: boolean;
  /** Stages built without the cache (--no-cache-filter). */
  noCacheFilter?: string[];
  /** An ID that POST /build/cancel can stop the build by. */
  buildId?: string;
  /** berth's --secret: base64 JSON of id → base64 value, sent as the X-Berth-Build-Secrets header (never in the query). */
  secrets?: string;
  /** berth's --ssh: id → agent socket path on berthd's host. */
  ssh?: Record<string, string>;
  /** berth's --allow: entitlements (security.insecure, network.host). */
  allow?: string[];
}
