import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { expandWord, parseInstructions, type Dockerfile, type Instruction } from '../../core/dockerfile/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { Digest } from '../../util/index.js';
import { ScratchImage, type BuildRun, type StageResult } from './build-run.js';
import { Build, type BuildDeps } from './builder.js';
import type { CacheSource } from './cache-from.js';
import { planStages } from './graph.js';
import { ClassicOrder, ClassicSink, FS_STEPS, StructuredSink, type StepSink } from './progress.js';
import { parseBuildPlatform, platformArgs } from './platform.js';
import { PROXY_ARGS } from './state.js';
import { RunFailed, type BuildMessage, type BuildOptions } from './types.js';

/** What one build produced: the target's image and the key that makes its vertex digests unique. */
export interface BuildOutcome {
  id: Digest;
  key: string;
}

/** A counting semaphore: at most `n` stages build at once. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async take(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

async function cacheSources(deps: BuildDeps, refs: string[]): Promise<CacheSource[] | null> {
  if (!refs.length) return null;
  const out: CacheSource[] = [];
  // As Docker: a cache-from image that is not there is skipped.
  for (const ref of refs) {
    let image;
    try {
      image = deps.images.get(ref);
    } catch (e) {
      if (e instanceof NotFound) continue;
      throw e;
    }
    out.push({ image, config: await deps.images.config(image) });
  }
  return out;
}

function metaArgs(df: Dockerfile, buildArgs: BuildOptions['buildArgs'], used: Set<string>, platform: string | undefined): Map<string, string | undefined> {
  // The automatic platform ARGs are in the global scope; an ARG of the same name without a value keeps them.
  const meta = new Map<string, string | undefined>(Object.entries(platformArgs(parseBuildPlatform(platform ?? 'linux'))));
  for (const a of df.metaArgs) {
    for (const x of a.args) {
      used.add(x.name);
      const given = buildArgs[x.name];
      meta.set(x.name, given !== undefined && given !== null ? given : x.value !== undefined ? expandWord(x.value, (n) => meta.get(n), df.escape) : meta.get(x.name));
    }
  }
  return meta;
}

/**
 * The ONBUILD triggers each stage will run first, for the plan: a base stage's own ONBUILD lines,
 * or a local base image's OnBuild (an image the build pulls is not known yet: its triggers' --from
 * must name a stage the target needs anyway). A trigger that does not parse is left to the step
 * that runs it, which reports it with its line.
 */
async function stageTriggers(deps: BuildDeps, df: Dockerfile, expand: (w: string) => string): Promise<Map<number, Instruction[]>> {
  const out = new Map<number, Instruction[]>();
  const parse = (texts: string[]): Instruction[] => {
    try {
      return texts.flatMap((t) => parseInstructions(t, df.escape));
    } catch {
      return [];
    }
  };
  for (const [i, stage] of df.stages.entries()) {
    const base = expand(stage.base.image);
    const j = df.stages.slice(0, i).findIndex((s) => s.base.stage === base.toLowerCase());
    if (j >= 0) {
      const own = (df.stages[j]?.instructions ?? []).flatMap((x) => (x.kind === 'onbuild' ? [x.expression] : []));
      if (own.length) out.set(i, parse(own));
      continue;
    }
    if (base === 'scratch') continue;
    try {
      const cfg = await deps.images.config(deps.images.get(base));
      const texts = ((cfg.config ?? {}))['OnBuild'];
      if (Array.isArray(texts) && texts.length) out.set(i, parse(texts.filter((t): t is string => typeof t === 'string')));
    } catch {
      // Not here (pulled by the stage) or not a valid name: the stage's FROM reports it.
    }
  }
  return out;
}

/** How many stages build at once: the cores, but at least two (a stage mostly waits on its RUN's process). */
export function stageSlots(): number {
  return Math.max(2, availableParallelism());
}

/**
 * Runs a build: plans the stages the target needs, builds each once, independent ones at the same
 * time (bounded by `stageSlots()`), and stops the others when one fails. The classic stream stays in
 * Dockerfile order; structured progress reports each stage's steps as they happen.
 */
export async function runBuild(deps: BuildDeps, opts: BuildOptions, contextDir: string, df: Dockerfile, out: (m: BuildMessage) => void): Promise<BuildOutcome> {
  const used = new Set<string>();
  const meta = metaArgs(df, opts.buildArgs, used, opts.platform);
  const lookup = (n: string): string | undefined => meta.get(n) ?? opts.buildArgs[n] ?? undefined;
  const expand = (w: string): string => expandWord(w, lookup, df.escape);
  const triggers = await stageTriggers(deps, df, expand);
  const plan = planStages(df, opts.target, expand, (i) => triggers.get(i));
  const run: BuildRun = { df, meta, used, results: new Map(), scratch: new ScratchImage(deps), sources: await cacheSources(deps, opts.cacheFrom), steps: new Map(), removals: new Set() };
  const labels = Object.entries(opts.labels);
  const key = randomUUID();

  const steps = (i: number): number => 1 + (df.stages[i]?.instructions.length ?? 0) + (i === plan.target && labels.length ? 1 : 0);
  const total = plan.order.reduce((n, i) => n + steps(i), 0);
  const first = new Map<number, number>();
  plan.order.reduce((n, i) => (first.set(i, n), n + steps(i)), 1);
  const classic = new ClassicOrder(plan.order, (text) => out({ stream: text }));
  const sinkOf = (i: number): StepSink => {
    if (!opts.structured) return new ClassicSink(first.get(i) ?? 1, total, classic.writer(i));
    const stage = df.stages[i];
    const label = df.stages.length > 1 ? (stage?.base.stage ?? `stage-${i}`) : undefined;
    const fsSteps = 1 + (stage?.instructions.filter((x) => FS_STEPS.has(x.kind)).length ?? 0);
    return new StructuredSink(label, fsSteps, key, (s) => out({ progress: s }));
  };

  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  const filter = new Set((opts.noCacheStages ?? []).map((s) => s.toLowerCase()));
  const slots = new Slots(stageSlots());
  const started = new Map<number, Promise<StageResult>>();
  let failure: { error: unknown } | null = null;

  const build = (i: number): Promise<StageResult> => {
    let p = started.get(i);
    if (p) return p;
    p = (async () => {
      try {
        await Promise.all((plan.deps.get(i) ?? []).map(build));
      } catch (e) {
        // It never runs: the classic stream goes on to the stages after it.
        classic.ended(i);
        throw e;
      }
      await slots.take();
      const sink = sinkOf(i);
      try {
        stop.signal.throwIfAborted();
        const name = df.stages[i]?.base.stage;
        const noCache = opts.noCache || filter.has(`${i}`) || (name !== undefined && filter.has(name));
        const b = new Build(deps, { ...opts, noCache, signal: stop.signal }, contextDir, run, sink);
        const r = await b.stage(i, i === plan.target ? labels : []);
        run.results.set(i, r);
        sink.end();
        return r;
      } catch (err) {
        const e = opts.structured && err instanceof RunFailed ? err.buildkit() : err;
        const first = failure === null;
        failure ??= { error: e };
        sink.end(first ? (e instanceof Error ? e.message : String(e)) : 'context canceled');
        stop.abort(e);
        throw e;
      } finally {
        slots.give();
        classic.ended(i);
      }
    })();
    started.set(i, p);
    return p;
  };

  let target: StageResult | undefined;
  try {
    target = await build(plan.target).catch(() => undefined);
    await Promise.allSettled(started.values());
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    // The step containers go before the scratch image they may stand on.
    await Promise.all(run.removals);
    await run.scratch.drop();
  }
  if (failure) throw (failure as { error: unknown }).error;
  const image = target?.image;
  if (!image) throw new InvalidArgument('No image was generated. Is your Dockerfile empty?');
  const unused = Object.keys(opts.buildArgs).filter((k) => !used.has(k) && !PROXY_ARGS.has(k)).sort();
  if (unused.length && !opts.quiet) {
    const text = `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`;
    if (opts.structured) out({ progress: { warnings: [{ vertex: '', short: Buffer.from(text.trim()).toString('base64'), level: 1 }] } });
    else out({ stream: text });
  }
  return { id: image.id, key };
}
