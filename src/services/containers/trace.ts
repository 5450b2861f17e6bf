/**
 * The steps of one container start or stop inside berthd, timed (BERTH_TRACE=1 on berthd): what
 * bench/run prints, so that every claim about the run path is a measured step.
 */
export class StepTrace {
  readonly #t0 = performance.now();
  #last = this.#t0;
  readonly #steps: [string, number][] = [];

  constructor(readonly what: string) {}

  mark(step: string): void {
    const now = performance.now();
    this.#steps.push([step, now - this.#last]);
    this.#last = now;
  }

  toString(): string {
    const total = this.#last - this.#t0;
    return `trace ${this.what}: ${this.#steps.map(([s, ms]) => `${s} ${ms.toFixed(1)}ms`).join(', ')}; total ${total.toFixed(1)}ms`;
  }
}

/** A trace that writes itself on `end()`, or nothing at all when tracing is off. */
export function stepTrace(sink: ((line: string) => void) | undefined, what: string): { mark(step: string): void; end(): void } {
  if (!sink) return { mark: () => undefined, end: () => undefined };
  const t = new StepTrace(what);
  return { mark: (s) => t.mark(s), end: () => sink(t.toString()) };
}
