export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';

export interface EngineEvent {
  type: EventType;
  action: string;
  /** The object's id (container id, image name or id, volume name …). */
  id: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the Unix epoch. */
  timeNano: bigint;
}

/** Docker's event filters: values of one key are OR-ed, keys AND-ed. */
export type EventFilters = Map<string, string[]>;

export function eventMatches(e: EngineEvent, f: EventFilters): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const vs = f.get(key);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  if (!any('type', (v) => v === e.type)) return false;
  // "die" matches "die"; Docker also lets "exec_start" match "exec_start: sh -c …".
  if (!any('event', (v) => e.action === v || e.action.startsWith(`${v}:`))) return false;
  const nameOrId = (v: string): boolean => e.id === v || e.id.startsWith(v) || e.attributes['name'] === v;
  if (!any('container', (v) => e.type === 'container' && nameOrId(v))) return false;
  if (!any('image', (v) => (e.type === 'image' && nameOrId(v)) || e.attributes['image'] === v)) return false;
  if (!any('volume', (v) => e.type === 'volume' && nameOrId(v))) return false;
  if (!any('network', (v) => e.type === 'network' && nameOrId(v))) return false;
  const labels = f.get('label') ?? [];
  for (const l of labels) {
    const eq = l.indexOf('=');
    const ok = eq < 0 ? l in e.attributes : e.attributes[l.slice(0, eq)] === l.slice(eq + 1);
    if (!ok) return false;
  }
  return true;
}

/**
 * Publish/subscribe for engine events, with a bounded history so `docker events --since` can replay
 * what happened before the client connected.
 */
export class EventBus {
  readonly #history: EngineEvent[] = [];
  readonly #subscribers = new Set<(e: EngineEvent) => void>();
  #lastNano = 0n;

  constructor(private readonly historySize = 1024) {}

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    // Strictly increasing times keep since/until replays exact even within one millisecond.
    let t = BigInt(Date.now()) * 1_000_000n;
    if (t <= this.#lastNano) t = this.#lastNano + 1n;
    this.#lastNano = t;
    const e: EngineEvent = { type, action, id, attributes, timeNano: t };
    this.#history.push(e);
    if (this.#history.length > this.historySize) this.#history.shift();
    for (const s of this.#subscribers) s(e);
    return e;
  }

  /** Past events in [since, until], then (unless `until` is in the past) live ones until the signal aborts. */
  async *subscribe(opts: { since?: bigint; until?: bigint; filters?: EventFilters; signal?: AbortSignal }): AsyncGenerator<EngineEvent> {
    const f = opts.filters ?? new Map<string, string[]>();
    const inRange = (e: EngineEvent): boolean => (opts.since === undefined || e.timeNano >= opts.since) && (opts.until === undefined || e.timeNano <= opts.until);
    const queue: EngineEvent[] = [];
    let wake: (() => void) | null = null;
    const onEvent = (e: EngineEvent): void => {
      queue.push(e);
      wake?.();
    };
    this.#subscribers.add(onEvent);
    const onAbort = (): void => wake?.();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.since !== undefined) for (const e of this.#history.slice()) if (inRange(e) && eventMatches(e, f) && !queue.includes(e)) yield e;
      const nowNano = BigInt(Date.now()) * 1_000_000n;
      if (opts.until !== undefined && opts.until <= nowNano) return;
      for (;;) {
        if (opts.signal?.aborted) return;
        const e = queue.shift();
        if (e) {
          if (opts.until !== undefined && e.timeNano > opts.until) return;
          if (eventMatches(e, f)) yield e;
          continue;
        }
        const untilMs = opts.until === undefined ? undefined : Number(opts.until / 1_000_000n) - Date.now();
        await new Promise<void>((resolve) => {
          wake = resolve;
          // Not unref'd: a subscriber waiting for `until` must keep the process alive until then.
          if (untilMs !== undefined) setTimeout(resolve, Math.max(0, untilMs) + 1);
        });
        wake = null;
        if (opts.until !== undefined && BigInt(Date.now()) * 1_000_000n > opts.until && queue.length === 0) return;
      }
    } finally {
      this.#subscribers.delete(onEvent);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
