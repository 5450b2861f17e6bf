import type { Readable } from 'node:stream';
import { cleanComponents, RootResolver } from '../../core/diff/index.js';
import { expandWord, parseInstructions, parseRunMount, stepError, withLine, type Instruction, type RunMount, type RunNetwork, type Stage } from '../../core/dockerfile/index.js';
import { resolveUser } from '../../core/runtime/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ContainerService } from '../containers/index.js';
import { defaultContainerSpec, stepTrace, type CreateSpec, type MountRequest } from '../containers/index.js';
import type { FilesystemService } from '../fs/index.js';
import type { Blobs, Credentials, ImageConfigJson, ImageRecords, ImageService, RemoteImages, StoredImage } from '../images/index.js';
import { SCRATCH_CONFIG, stageResult, type BuildRun, type StageResult } from './build-run.js';
import { extendsParent, layerAt, type CacheSource } from './cache-from.js';
import { addSources } from './add-sources.js';
import { applyCopy, mergePlans, planCopy, type CopyPlan } from './copy.js';
import { withStepDir, writeScript, type StepBind } from './heredoc.js';
import { findLinkedLayer } from './link.js';
import { cannotRun, configPlatform, formatPlatform, parseBuildPlatform, samePlatform } from './platform.js';
import type { StepSink } from './progress.js';
import type { CacheMounts } from './cache-mounts.js';
import { missingTargets, mountCacheKey, openMounts, removeStubs, type HeldSource, type MountSources } from './run-mounts.js';
import { cachedChild, canonical, descends } from './step-cache.js';
import { applyMeta, isMeta, nopCmd, PROXY_ARGS, StageState, type MetaInstruction } from './state.js';
import { RunFailed, UnknownSource, type BuildOptions } from './types.js';

export interface BuildDeps {
  containers: ContainerService;
  images: ImageService;
  fs: FilesystemService;
  remotes?: RemoteImages;
  /** The image records: the build cache is their untagged step images, children of their parents. */
  records: ImageRecords;
  blobs: Blobs;
  /** Where build contexts and step files are made (<data-root>/tmp). */
  scratchDir: string;
  /** Where RUN --mount=type=cache directories are kept (<data-root>/build-cache/mounts). */
  cacheMountsDir: string;
  /** The directories of RUN --mount=type=cache, made from cacheMountsDir when absent. */
  caches?: CacheMounts;
  log(msg: string, err?: unknown): void;
  /** Where the timed phases of each step go (BERTH_TRACE=1); none when absent. */
  trace?: (line: string) => void;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Makes a layer and records the step's image from it. */
type Commit = (layer: Readable | null, reuse?: { layer: StoredImage['layers'][number]; entry: NonNullable<ImageConfigJson['history']>[number] }) => Promise<StoredImage>;

/**
 * One stage of a build with Docker's classic builder: each instruction becomes an image on top of
 * the previous one (config-only steps with empty_layer history entries; RUN, COPY, ADD and WORKDIR
 * with one layer made in a container), reused from an earlier build when a child of the same parent
 * has the same container_config (Docker's classic cache key: parent + instruction + content
 * checksum). stages.ts decides which stages run, in which order and how many at once.
 */
export class Build {
  /** --cache-from images found (null: none given, only the local cache counts). */
  #sources: CacheSource[] | null;

  constructor(
    readonly deps: BuildDeps,
    readonly opts: BuildOptions,
    readonly contextDir: string,
    /** What the stages of this build share. */
    readonly shared: BuildRun,
    readonly sink: StepSink,
  ) {
    this.#sources = shared.sources ? [...shared.sources] : null;
  }

  get #meta(): Map<string, string | undefined> {
    return this.shared.meta;
  }

  get #used(): Set<string> {
    return this.shared.used;
  }

  #say(text: string): void {
    if (!this.opts.quiet) this.sink.note(text);
  }

  get #signal(): AbortSignal {
    return this.opts.signal;
  }

  /** Builds stage `index` (its dependencies are built); `labels` go on top of the build's target. */
  async stage(index: number, labels: [string, string][]): Promise<StageResult> {
    const stage = this.shared.df.stages[index] as Stage;
    const st = await this.#from(stage, this.shared.df.escape, index);
    for (const ins of stage.instructions) {
      try {
        await this.#dispatch(ins, st, true);
      } catch (e) {
        if (e instanceof UnknownSource) throw new UnknownSource(e.source, { cause: e.cause, line: ins.line, original: ins.original });
        throw e;
      }
    }
    if (labels.length) {
      const text = labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
      await this.#dispatch({ kind: 'label', pairs: labels, line: 0, original: `LABEL ${text}` }, st, true);
    }
    return { index, name: stage.base.stage, image: st.image, config: st.config };
  }

  async #from(stage: Stage, escape: string, index: number): Promise<StageState> {
    const base = stage.base;
    if (!this.opts.quiet) this.sink.step(base.original, 'from');
    const name = expandWord(base.image, (n) => this.#meta.get(n), escape);
    if (name === '') throw new InvalidArgument(`base name (${base.image}) should not be blank`);
    let st: StageState;
    const prior = stageResult(this.shared, name, index, true);
    const platform = base.platform !== undefined ? expandWord(base.platform, (n) => this.#meta.get(n), escape) : this.opts.platform;
    const want = platform ? parseBuildPlatform(platform) : null;
    if (name.toLowerCase() === 'scratch') {
      st = new StageState(null, want ? { ...SCRATCH_CONFIG, os: want.os, architecture: want.architecture, ...(want.variant ? { variant: want.variant } : {}) } : SCRATCH_CONFIG, escape);
    } else if (prior) {
      st = new StageState(prior.image, prior.config, escape);
    } else {
      const img = await this.#image(name, want ? formatPlatform(want) : undefined);
      const cfg = await this.deps.images.config(img);
      if (want && !samePlatform(want, configPlatform(cfg))) {
        throw stepError(base, `image with reference ${name} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(configPlatform(cfg))}`);
      }
      st = new StageState(img, cfg, escape);
    }
    if (st.image && !this.opts.quiet) this.sink.result(st.image.id);
    const triggers = (st.rc['OnBuild'] as string[] | null | undefined) ?? [];
    if (triggers.length) {
      delete st.rc['OnBuild'];
      this.#say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) for (const ins of parseInstructions(t, escape)) await this.#dispatch(ins, st, false);
    }
    return st;
  }

  /** A base image: the local one unless --pull (or it is missing), then pulled when berthd talks to registries. */
  async #image(name: string, platform?: string): Promise<StoredImage> {
    if (!this.opts.pull) {
      try {
        const img = this.deps.images.get(name);
        if (!platform || !this.deps.remotes || samePlatform(parseBuildPlatform(platform), configPlatform(await this.deps.images.config(img)))) return img;
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        if (!this.deps.remotes) throw e;
      }
    }
    const remotes = this.deps.remotes;
    if (!remotes) throw new NotFound(`cannot pull ${name}: this berthd is not wired to talk to registries`);
    // As Docker: a local image of another platform is what the step then refuses, when none can be pulled.
    const local = platform && !this.opts.pull ? this.#localImage(name) : null;
    if (local) return this.#pull(name, platform).catch(() => local);
    return this.#pull(name, platform);
  }

  #localImage(name: string): StoredImage | null {
    try {
      return this.deps.images.get(name);
    } catch {
      return null;
    }
  }

  async #pull(name: string, platform: string | undefined): Promise<StoredImage> {
    const remotes = this.deps.remotes as RemoteImages;
    const creds: Credentials | undefined = this.opts.credentials?.(name);
    const job = await remotes.preparePull(name, { signal: this.#signal, ...(creds ? { creds } : {}), ...(platform ? { platform } : {}) });
    const { id } = await job.run((e) => {
      if (e.current === undefined && e.status) this.#say(`${e.id ? `${e.id}: ` : ''}${e.status}\n`);
    });
    return this.deps.images.get(id);
  }

  async #dispatch(ins: Instruction, st: StageState, announce: boolean): Promise<void> {
    this.#signal.throwIfAborted();
    if (announce && !this.opts.quiet) this.sink.step(ins.original, ins.kind);
    if (ins.kind === 'arg') for (const a of ins.args) this.#used.add(a.name);
    if (isMeta(ins)) {
      const comment = applyMeta(ins as MetaInstruction, st, this.opts.buildArgs, this.#meta);
      return this.#commit(st, nopCmd(st, comment), null);
    }
    switch (ins.kind) {
      case 'from':
        throw new InvalidArgument(`line ${ins.line}: FROM is not allowed here`);
      case 'run': {
        const why = cannotRun(st.config);
        if (why) throw stepError(ins, why);
        if (ins.network === 'host' && this.opts.networkMode !== 'host' && !this.#entitled('network.host')) throw stepError(ins, hostNetworkRefused);
        if (ins.security === 'insecure' && !this.#entitled('security.insecure')) throw stepError(ins, insecureRefused);
        const step = { ...(ins.network ? { network: ins.network } : {}), ...(ins.security ? { insecure: true } : {}), mounts: this.#mounts(ins, st), where: ins };
        const script = ins.script;
        return withStepDir(this.contextDir, async (dir) => {
          if (!script) return this.#run(st, st.argv(ins.cmd), { ...step, dir });
          const s = await writeScript(await dir(), script);
          return this.#run(st, [s.path], { ...step, dir, binds: [s.bind], record: [s.path, script.data] });
        });
      }
      case 'workdir': {
        const path = st.workdir(st.expand(ins.value));
        st.rc['WorkingDir'] = path;
        return this.#commit(st, nopCmd(st, `WORKDIR ${path}`, true), (commit) =>
          this.#inContainer(st, commit, async (root) => {
            await new RootResolver(root).resolveDir(cleanComponents(path), () => undefined);
          }),
        );
      }
      case 'copy':
      case 'add':
        return this.#copy(ins, st).catch((e: unknown) => {
          throw withLine(ins, e);
        });
      default:
        throw new InvalidArgument(`unknown instruction: ${(ins as Instruction).kind.toUpperCase()}`);
    }
  }

  async #copy(ins: Extract<Instruction, { kind: 'copy' | 'add' }>, st: StageState): Promise<void> {
    const sources = ins.sources.map((s) => st.expand(s));
    let dest = st.expand(ins.dest);
    if (!dest.startsWith('/')) dest = `${st.workdir(dest)}${dest.endsWith('/') || dest === '.' ? '/' : ''}`;
    const chown = ins.chown !== undefined ? st.expand(ins.chown) : undefined;
    const chmodText = ins.chmod !== undefined ? st.expand(ins.chmod) : undefined;
    if (chmodText !== undefined && !/^[0-7]{1,4}$/.test(chmodText)) throw stepError(ins, `invalid chmod parameter ${JSON.stringify(chmodText)}: use an octal mode such as 0755`);
    const chmod = chmodText !== undefined ? parseInt(chmodText, 8) : undefined;
    const from = ins.from !== undefined ? st.expand(ins.from) : undefined;
    const what = ins.kind.toUpperCase();
    const exclude = ins.exclude?.map((e) => st.expand(e));
    await withStepDir(this.contextDir, async (stepDir) => {
      const added = await addSources(ins, st, sources, stepDir, { buildArgs: this.opts.buildArgs, signal: this.#signal });
      const opts = { unpack: ins.kind === 'add', ...(chmod !== undefined ? { chmod } : {}), ...(exclude ? { exclude } : {}), ...(ins.parents ? { parents: true } : {}), signal: this.#signal };
      const step = async (root: string | null, fromContext: boolean): Promise<void> => {
        const plans: CopyPlan[] = [];
        const key = chown ? { ownerKey: chown } : {};
        if (root !== null && added.local.length) plans.push(await planCopy(root, added.local, { ...opts, fromContext, ...key }));
        if (added.staged.length) plans.push(await planCopy(await stepDir(), added.staged, { ...opts, unpack: false, parents: false, fromContext: false, ...key }));
        const plan = mergePlans(plans);
        const fill = async (ctr: string): Promise<void> => {
          const owner = chown ? await ownerOf(ctr, chown) : undefined;
          await applyCopy(ctr, plan, dest, { ...opts, fromContext, ...(owner ? { owner } : {}) });
        };
        // --link: the layer is made apart from the base (a --chown by name needs the base's passwd: made on it).
        const link = ins.link === true && (!chown || /^\d+(:\d+)?$/.test(chown));
        const stepCmd = nopCmd(st, `${what}${link ? ' --link' : ''} ${plan.hash} in ${dest} `, true);
        await this.#commit(st, stepCmd, (commit) => (link ? this.#linked(stepCmd, commit, fill) : this.#inContainer(st, commit, fill)));
      };
      if (added.local.length) await this.#withSource(from, step);
      else await step(null, false);
    });
  }

  /** The root COPY reads from: the context, or (--from) the rootfs of an earlier stage or an image. */
  async #withSource(from: string | undefined, fn: (root: string, fromContext: boolean) => Promise<void>): Promise<void> {
    if (from === undefined) return fn(this.contextDir, true);
    const prior = stageResult(this.shared, from, Infinity);
    if (!prior && /^\d+$/.test(from)) throw new InvalidArgument(`invalid from flag value ${from}: refers to current build stage or one after it`);
    const image = prior ? prior.image : await this.#image(from).catch((e: unknown) => {
      throw this.#signal.aborted ? e : new UnknownSource(from, { cause: e });
    });
    const ref = image ? image.id : await this.#scratchRef();
    const rec = await this.#create(ref, ['#(nop)'], {});
    try {
      await this.deps.fs.withRootfs(rec.id, 'read', (root) => fn(root, false));
    } finally {
      this.#remove(rec.id);
    }
  }

  /**
   * One step: reused from the cache when a child of the current image has the same container_config,
   * otherwise made (by `produce`, or config-only when null) and recorded as a child.
   */
  async #commit(st: StageState, stepCmd: string[], produce: ((commit: Commit) => Promise<StoredImage>) | null): Promise<void> {
    const cc = { ...st.rc, Cmd: stepCmd };
    // The same step (parent and container_config) in stages that run at once is made once: the others
    // wait for it and take it as the classic builder would take it from the cache.
    const key = this.opts.noCache ? null : `${st.image?.id ?? ''}\0${st.author ?? ''}\0${canonical(cc)}`;
    const running = key !== null ? this.shared.steps.get(key) : undefined;
    let mine: { resolve: (i: StoredImage | null) => void } | null = null;
    if (key !== null && !running) {
      let resolve!: (i: StoredImage | null) => void;
      this.shared.steps.set(key, new Promise((r) => (resolve = r)));
      mine = { resolve };
    }
    let img: StoredImage | null = null;
    try {
      const trace = stepTrace(this.deps.trace, `step ${stepCmd.join(' ').slice(0, 40)}`);
      const hit = running ? await running : this.opts.noCache ? null : await this.#probe(st, cc, stepCmd);
      trace.mark(hit ? 'cache hit' : 'cache miss');
      trace.end();
      if (hit) {
        if (!this.opts.quiet) this.sink.cached();
        img = hit;
      } else {
        img = await this.#make(st, stepCmd, cc, produce);
      }
    } finally {
      if (mine && key !== null) {
        this.shared.steps.delete(key);
        mine.resolve(img);
      }
    }
    st.image = img;
    st.config = await this.deps.images.config(img);
    st.rc = structuredClone(st.config.config ?? {});
    if (!this.opts.quiet) this.sink.result(img.id);
  }

  /** A step that is not in the cache: made by `produce` (config-only when null). */
  async #make(st: StageState, stepCmd: string[], cc: Record<string, unknown>, produce: ((commit: Commit) => Promise<StoredImage>) | null): Promise<StoredImage> {
    const commit: Commit = (layer, reuse) =>
      this.deps.images.writeImage({
        ...(reuse ? { reuse } : {}),
        parent: st.image,
        parentConfig: st.config,
        layer,
        config: st.rc,
        history: { created_by: stepCmd.join(' ') },
        extra: { container_config: cc, ...(st.author ? { author: st.author } : {}) },
        parentId: st.image?.id ?? '',
        signal: this.#signal,
      });
    return produce ? await produce(commit) : await commit(null);
  }

  /**
   * The classic builder's cache: a local child of the same parent with the same container_config;
   * with --cache-from, only one that a cache-from image descends from, else the next step of a
   * cache-from image whose history starts with the parent's (restored as an image of its own, or the
   * cache-from image itself at its last step).
   */
  async #probe(st: StageState, cc: Record<string, unknown>, stepCmd: string[]): Promise<StoredImage | null> {
    const local = await cachedChild(this.deps, st, cc);
    const sources = this.#sources;
    if (!sources) return local;
    if (local && sources.some((s) => descends(this.deps.records, s.image.id, local.id))) return local;
    const records = this.deps.records;
    const parentCfg = st.image ? st.config : null;
    const n = parentCfg?.history?.length ?? 0;
    for (const s of sources) {
      const entry = s.config.history?.[n];
      if (!entry || !extendsParent(s.config, parentCfg) || entry.created_by !== stepCmd.join(' ')) continue;
      if ((s.config.history?.length ?? 0) - 1 === n) {
        const rec = records.get(s.image.id) ?? s.image;
        if (st.image) records.put({ ...rec, parent: st.image.id }, []);
        return records.get(s.image.id) ?? s.image;
      }
      const img = await this.deps.images.writeImage({
        parent: st.image,
        parentConfig: st.config,
        layer: null,
        config: st.rc,
        history: {},
        extra: { container_config: cc, ...(st.author ? { author: st.author } : {}) },
        parentId: st.image?.id ?? '',
        reuse: { layer: layerAt(s, n), entry },
        signal: this.#signal,
      });
      // As Docker: once a source served a step, the rest come from it alone.
      this.#sources = [s];
      return img;
    }
    return null;
  }

  #entitled(name: string): boolean {
    return this.opts.entitlements?.includes(name) === true;
  }

  /** The step's --mount flags, expanded with the stage's variables and read (an error names the line). */
  #mounts(ins: Extract<Instruction, { kind: 'run' }>, st: StageState): RunMount[] {
    let ssh = 0;
    const workdir = (st.rc['WorkingDir'] as string | undefined) || '/';
    return (ins.mounts ?? []).map((text) => {
      try {
        const m = parseRunMount(text, (v) => st.expand(v), workdir, ssh);
        if (m.type === 'ssh') ssh++;
        if (m.type === 'cache' && !this.deps.caches) throw new InvalidArgument('RUN --mount=type=cache needs a berthd that keeps cache directories');
        return m;
      } catch (e) {
        throw stepError(ins, (e as Error).message);
      }
    });
  }

  /** What a step's mounts use. */
  get #mountSources(): MountSources {
    return {
      contextDir: this.contextDir,
      caches: this.deps.caches as CacheMounts,
      secrets: this.opts.secrets ?? new Map(),
      ssh: this.opts.ssh ?? new Map(),
      sourceId: async (from) => {
        const prior = stageResult(this.shared, from, Infinity);
        if (prior) return prior.image?.id ?? 'scratch';
        return (await this.#image(from).catch((e: unknown) => {
          throw this.#signal.aborted ? e : new UnknownSource(from, { cause: e });
        })).id;
      },
      open: (from) => this.#open(from),
      signal: this.#signal,
    };
  }

  /** #withSource held open until release(): a bind or cache from= needs the rootfs while the step runs. */
  #open(from: string): Promise<HeldSource> {
    return new Promise<HeldSource>((resolve, reject) => {
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const using = this.#withSource(from, async (root) => {
        resolve({ root, release: async () => (done(), await using.catch(() => undefined)) });
        await finished;
      });
      using.catch(reject);
    });
  }

  /**
   * A RUN step; `step`: RUN --network, --security=insecure, --mount, binds (a heredoc script), and
   * what the cache key records instead of argv (the mounts' options, never a secret's value).
   */
  async #run(st: StageState, argv: string[], step: { network?: RunNetwork; insecure?: boolean; mounts?: RunMount[]; where?: { line: number; original: string }; dir?: () => Promise<string>; binds?: StepBind[]; record?: string[] } = {}): Promise<void> {
    const { all, recorded } = st.buildArgEnv(this.#proxies());
    const mounts = step.mounts ?? [];
    const sources = this.#mountSources;
    const lined = (e: unknown): never => {
      throw step.where ? withLine(step.where, e) : e;
    };
    const mountKeys = mounts.length ? await mountCacheKey(mounts, sources).catch(lined) : [];
    const shown = [...(step.network && step.network !== 'default' ? [`--network=${step.network}`] : []), ...(step.insecure ? ['--security=insecure'] : []), ...mountKeys, ...(step.record ?? argv)];
    const saveCmd = recorded.length ? [`|${recorded.length}`, ...recorded, ...shown] : shown;
    await this.#commit(st, saveCmd, async (commit) => {
      const open = mounts.length ? await openMounts(mounts, sources, step.dir ?? (() => Promise.reject(new Error('no step directory')))).catch(lined) : null;
      try {
        return await this.#runIn(st, argv, commit, { ...step, extra: open?.requests ?? [], env: [...st.env(), ...all, ...(open?.env ?? [])] });
      } finally {
        await open?.release();
      }
    });
  }

  async #runIn(st: StageState, argv: string[], commit: Commit, step: { network?: RunNetwork; insecure?: boolean; binds?: StepBind[]; extra: MountRequest[]; env: string[] }): Promise<StoredImage> {
    const rec = await this.#create(st.image?.id ?? (await this.#scratchRef()), argv, {
      env: step.env,
      user: (st.rc['User'] as string | undefined) ?? '',
      workingDir: (st.rc['WorkingDir'] as string | undefined) ?? '',
      run: true,
      ...(step.network && step.network !== 'default' ? { network: step.network } : {}),
      ...(step.binds ? { binds: step.binds } : {}),
      ...(step.extra.length ? { mounts: step.extra } : {}),
      ...(step.insecure ? { privileged: true } : {}),
    });
    this.#say(` ---> Running in ${short(rec.id)}\n`);
    const { containers } = this.deps;
    const trace = stepTrace(this.deps.trace, `RUN ${short(rec.id)}`);
    trace.mark('created');
    try {
      // The runtime makes the mount points that the image lacks: they are taken out of the layer again.
      const targets = step.extra.map((m) => m.destination);
      const stubs = targets.length ? await this.deps.fs.withRootfs(rec.id, 'read', (root) => missingTargets(root, targets)) : [];
      // The client may hang up at any point, also before a wait could listen for it.
      const hangup = aborted(this.#signal);
      const exited = Promise.race([containers.wait(rec.id, 'next-exit', this.#signal), hangup]);
      exited.catch(() => undefined);
      await containers.start(rec.id);
      trace.mark('started');
      this.#signal.throwIfAborted();
      const logs = containers.readLogs(rec.id, { follow: true, stopWhen: exited, signal: this.#signal });
      for await (const e of logs) if (!this.opts.quiet) this.sink.log(e.line.toString('utf8'));
      trace.mark('logs');
      const { statusCode } = await exited;
      trace.mark('exited');
      if (statusCode !== 0) throw new RunFailed(`The command '${argv.join(' ')}' returned a non-zero code: ${statusCode}`, statusCode, argv.join(' '));
      if (stubs.length) await this.deps.fs.withRootfs(rec.id, 'write', (root) => removeStubs(root, stubs));
      return await this.deps.fs.withLayer(rec.id, commit, this.#signal).finally(() => trace.mark('layer+commit'));
    } finally {
      // A step with mounts does not keep its container: it would hold the cache, secret and socket paths.
      if (!this.opts.keepContainers || step.extra.length) {
        this.#remove(rec.id);
        this.#say(` ---> Removed intermediate container ${short(rec.id)}\n`);
      }
      trace.mark('removal begun');
      trace.end();
    }
  }

  /** COPY --link: the layer of the same step made on any base, else made in an empty rootfs. */
  async #linked(stepCmd: string[], commit: Commit, fill: (root: string) => Promise<void>): Promise<StoredImage> {
    const found = this.opts.noCache ? null : await findLinkedLayer(this.deps.images, stepCmd.join(' '));
    if (found) {
      if (!this.opts.quiet) this.sink.cached();
      return commit(null, { layer: found.layer, entry: { ...found.entry, created: new Date().toISOString() } });
    }
    const rec = await this.#create(await this.#scratchRef(), ['#(nop)'], {});
    try {
      await this.deps.fs.withRootfs(rec.id, 'write', fill);
      return await this.deps.fs.withLayer(rec.id, commit, this.#signal);
    } finally {
      this.#remove(rec.id);
    }
  }

  /** A stopped container on the current image whose rootfs `fill` changes; its changes become the layer. */
  async #inContainer(st: StageState, commit: Commit, fill: (root: string) => Promise<void>): Promise<StoredImage> {
    const trace = stepTrace(this.deps.trace, 'filesystem step');
    const rec = await this.#create(st.image?.id ?? (await this.#scratchRef()), ['#(nop)'], {});
    trace.mark('created');
    try {
      await this.deps.fs.withRootfs(rec.id, 'write', fill);
      trace.mark('filled');
      return await this.deps.fs.withLayer(rec.id, commit, this.#signal).finally(() => trace.mark('layer+commit'));
    } finally {
      this.#remove(rec.id);
      trace.mark('removal begun');
      trace.end();
    }
  }

  /** A step's container; `run`: one that RUN starts, on the build's network, hosts and /dev/shm size. */
  #create(image: string, cmd: string[], o: { env?: string[]; user?: string; workingDir?: string; run?: boolean; network?: string; binds?: StepBind[]; mounts?: MountRequest[]; privileged?: boolean }) {
    const { run, network, binds, mounts, privileged, ...rest } = o;
    const { extraHosts, shmSize } = this.opts;
    const networkMode = network ?? this.opts.networkMode;
    return this.deps.containers.create({
      image,
      cmd,
      entrypoint: null,
      ...rest,
      healthcheck: { test: ['NONE'] },
      labels: {},
      spec: stepSpec(run ? { network: networkMode, extraHosts, shmSize } : {}, binds ?? [], mounts ?? [], privileged === true),
    });
  }

  /**
   * Removes a step's container without holding up the next step (its files and record go while the
   * build goes on); the build waits for every removal before it ends.
   */
  #remove(id: string): void {
    const removing = this.deps.containers
      .remove(id, { force: true, volumes: true })
      .catch((e: unknown) => this.deps.log(`removing build container ${id}`, e))
      .finally(() => this.shared.removals.delete(removing));
    this.shared.removals.add(removing);
  }

  #proxies(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.opts.buildArgs)) if (PROXY_ARGS.has(k) && v !== null) out[k] = v;
    return out;
  }

  /** An image without layers to run FROM scratch steps on; removed when the build ends. */
  #scratchRef(): Promise<string> {
    return this.shared.scratch.ref();
  }
}

/** BuildKit's security.insecure entitlement: the one who starts the build grants it. */
const insecureRefused = 'RUN --security=insecure needs the security.insecure entitlement, which this build was not given (berth build --allow security.insecure)';

/** BuildKit's network.host entitlement: here the one who starts the build grants it by building on the host network. */
const hostNetworkRefused =
  'RUN --network=host needs the network.host entitlement, which this build was not given: the host network is allowed to a build started on it (docker build --network=host, berth build --network=host) or with berth build --allow network.host';

function aborted(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  p.catch(() => undefined);
  return p;
}

/** --chown's user and group (a lone user names the group too, as in Docker), looked up in the image. */
async function ownerOf(root: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [u = '', g] = spec.split(':');
  const r = await resolveUser(root, `${u}:${g ?? u}`);
  return { uid: r.uid, gid: r.gid };
}

/**
 * A step container's spec: the build's network, hosts and /dev/shm size, read-only binds (a heredoc
 * script), the RUN --mount mounts, and --security=insecure as a privileged container (BuildKit's).
 */
function stepSpec(net: Parameters<typeof defaultContainerSpec>[0], binds: StepBind[], mounts: MountRequest[], privileged: boolean): CreateSpec {
  const spec = defaultContainerSpec(net);
  spec.mounts = [...binds.map((b): MountRequest => ({ type: 'bind', source: b.source, destination: b.target, rw: false, mode: 'ro', propagation: '', copyData: false })), ...mounts];
  if (privileged) spec.security.privileged = true;
  return spec;
}
