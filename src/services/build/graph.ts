import type { Dockerfile, Instruction, Stage } from '../../core/dockerfile/index.js';
import { InvalidArgument } from '../../errdefs/index.js';

/** Where one stage uses another: its FROM, a COPY/ADD --from or a RUN --mount=from=. */
export interface StageUse {
  stage: number;
  line: number;
  /** The instruction as written, for messages. */
  original: string;
}

/** The stages one build needs, in an order where every stage comes after those it uses. */
export interface StagePlan {
  /** The stage the build ends with (--target, else the last one). */
  target: number;
  /** Stage indices the target needs (itself included), each after its dependencies. */
  order: number[];
  /** Stage index → the stages it uses (deduplicated). */
  deps: Map<number, number[]>;
}

/**
 * The ONBUILD triggers a stage runs first (its base image's or base stage's), parsed: a trigger's
 * COPY --from=<stage> needs that stage too.
 */
export type Triggers = (stage: number) => Instruction[] | undefined;

/** Expands a word of a FROM, --from or from= with the build's variables (for stage names given as ${ARG}). */
export type ExpandRef = (word: string, stage: number) => string;

/** The `from=` values of a RUN's --mount flags, read from the instruction as written. */
export function mountSources(ins: Instruction): string[] {
  if (ins.kind !== 'run') return [];
  const out: string[] = [];
  // The flags come before the command; a --mount inside the command text is the command's own.
  let head = ins.original.replace(/^\s*RUN\s+/i, '');
  for (;;) {
    const m = /^--([a-z-]+)(?:=(?:"([^"]*)"|(\S*)))?\s*/i.exec(head);
    if (!m) break;
    head = head.slice(m[0].length);
    if ((m[1] ?? '').toLowerCase() !== 'mount') continue;
    for (const field of (m[2] ?? m[3] ?? '').split(',')) {
      const eq = field.indexOf('=');
      if (eq > 0 && field.slice(0, eq).trim().toLowerCase() === 'from') out.push(field.slice(eq + 1).trim());
    }
  }
  return out;
}

function stageIndex(stages: Stage[], ref: string): number {
  const name = ref.toLowerCase();
  return stages.findIndex((s) => s.base.stage === name);
}

/**
 * The stages one stage uses. A FROM or --from that names no stage is an image (not a dependency);
 * a numeric --from must name an earlier stage, as in Docker.
 */
function usesOf(df: Dockerfile, i: number, expand: ExpandRef, triggers: Triggers): StageUse[] {
  const stage = df.stages[i] as Stage;
  const uses: StageUse[] = [];
  // FROM names only an earlier stage (`FROM golang AS golang` is the image).
  const base = stageIndex(df.stages.slice(0, i), expand(stage.base.image, i));
  if (base >= 0) uses.push({ stage: base, line: stage.base.line, original: stage.base.original });
  for (const ins of [...(triggers(i) ?? []), ...stage.instructions]) {
    const refs = (ins.kind === 'copy' || ins.kind === 'add') && ins.from !== undefined ? [ins.from] : mountSources(ins);
    for (const given of refs) {
      const ref = expand(given, i);
      if (/^\d+$/.test(ref)) {
        const n = Number(ref);
        if (n >= i) throw new InvalidArgument(`Dockerfile line ${ins.line}: invalid from flag value ${ref}: refers to current build stage or one after it`);
        uses.push({ stage: n, line: ins.line, original: ins.original });
        continue;
      }
      const at = stageIndex(df.stages, ref);
      if (at >= 0) uses.push({ stage: at, line: ins.line, original: ins.original });
    }
  }
  return uses;
}

function stageLabel(df: Dockerfile, i: number): string {
  return df.stages[i]?.base.stage ?? `${i}`;
}

/**
 * Plans a build: the target (by name, case-insensitive), the stages reachable from it (through FROM
 * <stage>, COPY --from=<stage> and RUN --mount=from=<stage>), a dependency order, and a clear error
 * for a cycle, naming the line that closes it.
 */
export function planStages(df: Dockerfile, target: string | undefined, expand: ExpandRef, triggers: Triggers = () => undefined): StagePlan {
  if (df.stages.length === 0) throw new InvalidArgument('the Dockerfile has no stage: it needs a FROM instruction');
  let t = df.stages.length - 1;
  if (target) {
    t = stageIndex(df.stages, target);
    if (t < 0) throw new InvalidArgument(`failed to reach build target ${target} in Dockerfile`);
  }
  const uses = new Map<number, StageUse[]>();
  const deps = new Map<number, number[]>();
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const path: number[] = [];
  const visit = (i: number, via: StageUse | null): void => {
    const s = state.get(i);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(i)), i].map((x) => stageLabel(df, x)).join(' -> ');
      const where = via ? `Dockerfile line ${via.line} (${via.original}): ` : '';
      throw new InvalidArgument(`${where}circular dependency detected on stage: ${stageLabel(df, i)} (${cycle})`);
    }
    state.set(i, 'visiting');
    path.push(i);
    const mine = uses.get(i) ?? usesOf(df, i, expand, triggers);
    uses.set(i, mine);
    for (const u of mine) visit(u.stage, u);
    deps.set(i, [...new Set(mine.map((u) => u.stage))]);
    path.pop();
    state.set(i, 'done');
    order.push(i);
  };
  visit(t, null);
  return { target: t, order, deps };
}
