import { createHash } from 'node:crypto';
import type { Instruction } from '../../core/dockerfile/index.js';
import type { ProgressVertex, SolveStatus } from './types.js';

/** What one stage's builder reports, step by step; rendered as the classic text or as BuildKit vertices. */
export interface StepSink {
  /** A Dockerfile step begins (the FROM and each instruction), as written. */
  step(text: string, kind: Instruction['kind']): void;
  /** The builder's own lines (`Running in …`, pull status, warnings). */
  note(text: string): void;
  /** Output of a RUN. */
  log(text: string): void;
  cached(): void;
  /** The step's image. */
  result(id: string): void;
  /** The stage is over; `error` when it failed. */
  end(error?: string): void;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Docker's classic builder text: `Step N/M : …`, ` ---> Using cache`, ` ---> <id>`. */
export class ClassicSink implements StepSink {
  #n: number;
  constructor(
    first: number,
    readonly total: number,
    readonly write: (text: string) => void,
  ) {
    this.#n = first;
  }
  step(text: string): void {
    this.write(`Step ${this.#n++}/${this.total} : ${text}\n`);
  }
  note(text: string): void {
    this.write(text);
  }
  log(text: string): void {
    this.write(text);
  }
  cached(): void {
    this.write(' ---> Using cache\n');
  }
  result(id: string): void {
    this.write(` ---> ${short(id)}\n`);
  }
  end(): void {}
}

/**
 * Keeps the classic stream in Dockerfile order while stages run at once: the stage first in the
 * order writes through, the others are held until every stage before them has ended.
 */
export class ClassicOrder {
  readonly #held = new Map<number, string[]>();
  readonly #ended = new Set<number>();
  #head = 0;
  constructor(
    readonly order: number[],
    readonly write: (text: string) => void,
  ) {}

  writer(stage: number): (text: string) => void {
    return (text) => {
      if (this.order[this.#head] === stage) this.write(text);
      else {
        const held = this.#held.get(stage) ?? [];
        held.push(text);
        this.#held.set(stage, held);
      }
    };
  }

  ended(stage: number): void {
    this.#ended.add(stage);
    while (this.#head < this.order.length && this.#ended.has(this.order[this.#head] as number)) {
      this.#head++;
      const next = this.order[this.#head];
      if (next === undefined) break;
      for (const t of this.#held.get(next) ?? []) this.write(t);
      this.#held.delete(next);
    }
  }
}

/** The instructions BuildKit shows as numbered steps (the ones that make a filesystem); the rest only change the config. */
export const FS_STEPS = new Set<Instruction['kind']>(['from', 'run', 'copy', 'add', 'workdir']);

/** BuildKit's vertices: `[stage k/n] INSTRUCTION`, started, cached, completed, with the RUN's output as logs. */
export class StructuredSink implements StepSink {
  #k = 0;
  #open: ProgressVertex | null = null;
  constructor(
    /** The stage's label in step names (its name, `stage-N`, or none in a one-stage build). */
    readonly label: string | undefined,
    readonly steps: number,
    /** Makes the vertex digests unique to this build. */
    readonly key: string,
    readonly emit: (s: SolveStatus) => void,
  ) {}

  #close(error?: string): void {
    const v = this.#open;
    if (!v) return;
    this.#open = null;
    v.completed = new Date().toISOString();
    if (error !== undefined) v.error = error;
    this.emit({ vertexes: [{ ...v }] });
  }

  step(text: string, kind: Instruction['kind']): void {
    this.#close();
    if (!FS_STEPS.has(kind)) return;
    this.#k++;
    const name = `[${this.label ? `${this.label} ` : ''}${this.#k}/${this.steps}] ${text}`;
    const digest = `sha256:${createHash('sha256').update(`${this.key}\0${name}`).digest('hex')}`;
    this.#open = { digest, name, started: new Date().toISOString() };
    this.emit({ vertexes: [{ ...this.#open }] });
  }

  note(text: string): void {
    const w = /^\[Warning\] (.*)$/s.exec(text);
    if (w) this.emit({ warnings: [{ vertex: this.#open?.digest ?? '', short: Buffer.from((w[1] ?? '').trim()).toString('base64'), level: 1 }] });
    // The classic ` ---> Running in …` lines have no place here; a base image's pull status is the FROM's output.
    else if (!text.startsWith(' ---> ')) this.log(text);
  }

  log(text: string): void {
    const v = this.#open;
    if (!v) return;
    this.emit({ logs: [{ vertex: v.digest, stream: 1, data: Buffer.from(text).toString('base64'), timestamp: new Date().toISOString() }] });
  }

  cached(): void {
    if (this.#open) this.#open.cached = true;
  }

  result(): void {
    this.#close();
  }

  end(error?: string): void {
    this.#close(error);
  }
}

/** One vertex outside the stages (`exporting to image`), with its lines as logs. */
export function exportVertex(key: string, name: string, lines: string[], started: Date): SolveStatus[] {
  const digest = `sha256:${createHash('sha256').update(`${key}\0${name}`).digest('hex')}`;
  const v: ProgressVertex = { digest, name, started: started.toISOString() };
  const now = new Date().toISOString();
  return [
    { vertexes: [{ ...v }] },
    ...lines.map((l) => ({ logs: [{ vertex: digest, stream: 1, data: Buffer.from(`${l}\n`).toString('base64'), timestamp: now }] })),
    { vertexes: [{ ...v, completed: now }] },
  ];
}
