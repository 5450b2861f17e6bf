import type { Digest } from '../../util/index.js';

export type LeaseKind = 'blob' | 'layer';

/** The lease records an ImageService keeps (core/metadata's LeaseStore). */
export interface LeaseRecords {
  create(ttlMs: number): string;
  add(id: string, kind: LeaseKind, ref: string): void;
  refsOf(id: string): { kind: LeaseKind; ref: string }[];
  release(id: string): void;
  held(kind: LeaseKind): Set<string>;
  expire(): { kind: LeaseKind; ref: string }[];
}

/** How long a lease protects content if its operation never ends it (a killed berthd). */
export const LEASE_TTL_MS = 60 * 60 * 1000;
/** A pull's lease lasts a day, as containerd's: what a cut pull stored waits that long for a retry to resume it. */
export const PULL_LEASE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * One operation's lease: what it names (blobs by digest, layers by chain ID) stays out of the
 * collector's reach until the lease ends. `end(false)` after a failure hands back what it named, for
 * the service to remove what nothing else uses.
 */
export class OperationLease {
  readonly onCommit = (d: Digest): void => this.blob(d);

  constructor(
    readonly id: string,
    private readonly records: LeaseRecords,
    private readonly collect: (refs: { kind: LeaseKind; ref: string }[]) => Promise<void>,
  ) {}

  blob(d: string): void {
    this.records.add(this.id, 'blob', d);
  }

  layer(chainId: string): void {
    this.records.add(this.id, 'layer', chainId);
  }

  /** Ends the lease; a failed operation's content is collected where nothing else holds it. */
  async end(succeeded: boolean): Promise<void> {
    const refs = succeeded ? [] : this.records.refsOf(this.id);
    this.records.release(this.id);
    if (refs.length > 0) await this.collect(refs);
  }
}

/** Leases kept in memory, for an ImageService wired without a database (tests, tools). */
export class MemoryLeases implements LeaseRecords {
  readonly #leases = new Map<string, { expires: number; refs: Map<string, { kind: LeaseKind; ref: string }> }>();
  #next = 0;

  create(ttlMs: number): string {
    const id = `m${++this.#next}`;
    this.#leases.set(id, { expires: Date.now() + ttlMs, refs: new Map() });
    return id;
  }

  add(id: string, kind: LeaseKind, ref: string): void {
    this.#leases.get(id)?.refs.set(`${kind}:${ref}`, { kind, ref });
  }

  refsOf(id: string): { kind: LeaseKind; ref: string }[] {
    return [...(this.#leases.get(id)?.refs.values() ?? [])];
  }

  release(id: string): void {
    this.#leases.delete(id);
  }

  held(kind: LeaseKind): Set<string> {
    const out = new Set<string>();
    for (const l of this.#leases.values()) for (const r of l.refs.values()) if (r.kind === kind) out.add(r.ref);
    return out;
  }

  expire(): { kind: LeaseKind; ref: string }[] {
    const now = Date.now();
    const out: { kind: LeaseKind; ref: string }[] = [];
    for (const [id, l] of this.#leases) {
      if (l.expires > now) continue;
      out.push(...l.refs.values());
      this.#leases.delete(id);
    }
    return out;
  }
}
