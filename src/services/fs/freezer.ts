/**
 * Shared freezing of running containers: cp and commit may overlap on one container, so the first
 * holder pauses it and the last one resumes it; a new hold waits for a resume in flight.
 */
export class Freezer {
  readonly #held = new Map<string, { count: number; ready: Promise<void> }>();
  readonly #resuming = new Map<string, Promise<void>>();

  constructor(
    private readonly pause: (id: string) => Promise<void>,
    private readonly resume: (id: string) => Promise<void>,
  ) {}

  /** Freezes `id` (or joins a freeze in place); the returned function releases this hold once. */
  async hold(id: string): Promise<() => Promise<void>> {
    let h = this.#held.get(id);
    if (!h) {
      const before = this.#resuming.get(id) ?? Promise.resolve();
      h = { count: 0, ready: before.then(() => this.pause(id)) };
      this.#held.set(id, h);
    }
    const mine = h;
    mine.count++;
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      if (--mine.count > 0) return;
      if (this.#held.get(id) === mine) this.#held.delete(id);
      const r = mine.ready.then(
        () => this.resume(id).catch(() => undefined),
        () => undefined,
      );
      this.#resuming.set(id, r);
      await r;
      if (this.#resuming.get(id) === r) this.#resuming.delete(id);
    };
    try {
      await mine.ready;
    } catch (e) {
      mine.count--;
      if (mine.count === 0 && this.#held.get(id) === mine) this.#held.delete(id);
      released = true;
      throw e;
    }
    return release;
  }
}
