import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';

export type Filters = Map<string, string[]>;

// `namespace`: berth's own, to list another front end's containers (the CRI's k8s.io) read-only.
const KNOWN = new Set(['status', 'name', 'label', 'id', 'ancestor', 'exited', 'before', 'since', 'health', 'isolation', 'network', 'volume', 'publish', 'expose', 'is-task', 'namespace']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export interface FilterContext {
  /** Image ids that the ancestor value names (the image itself); empty when unknown. */
  ancestorIds(value: string): Set<string>;
  resolve(idOrName: string): ContainerRecord | undefined;
}

/** Checks the filter names and values Docker checks, with Docker's messages. */
export function validateContainerFilters(f: Filters): void {
  for (const [k, vs] of f) {
    if (!KNOWN.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    if (k === 'status') for (const v of vs) if (!STATUSES.has(v)) throw new InvalidArgument(`invalid filter 'status=${v}'`);
    if (k === 'exited') for (const v of vs) if (!/^-?\d+$/.test(v)) throw new InvalidArgument(`invalid filter 'exited=${v}'`);
    if (k === 'namespace' && vs.length > 1) throw new InvalidArgument(`filter 'namespace' takes one namespace, not ${vs.length}`);
  }
}

export function labelMatches(labels: Record<string, string>, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return wanted in labels;
  return labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/** Docker's rules: values of one filter are OR-ed, different filters AND-ed; labels are all required. */
export function containerMatches(c: ContainerRecord, f: Filters, ctx: FilterContext): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const vs = f.get(key);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  if (!any('status', (v) => c.state.status === v)) return false;
  if (!any('id', (v) => c.id.startsWith(v))) return false;
  if (!any('name', (v) => safeRegex(v).test(c.name) || safeRegex(v).test(`/${c.name}`))) return false;
  if (!any('exited', (v) => c.state.status === 'exited' && c.state.exitCode === Number(v))) return false;
  if (!any('health', (v) => (c.state.health?.status ?? 'none') === v)) return false;
  if (!any('ancestor', (v) => ctx.ancestorIds(v).has(c.imageId) || c.spec.rootfs.image === v)) return false;
  // Docker matches a volume filter against the volume's name or the mount's destination.
  if (!any('volume', (v) => (c.mounts ?? []).some((m) => m.name === v || m.destination === v))) return false;
  const labels = f.get('label') ?? [];
  if (!labels.every((l) => labelMatches(c.spec.labels, l))) return false;
  for (const key of ['before', 'since'] as const) {
    const v = f.get(key)?.[0];
    if (v === undefined) continue;
    const other = ctx.resolve(v);
    if (!other) throw new InvalidArgument(`No such container: ${v}`);
    const cmp = Date.parse(c.created) - Date.parse(other.created);
    if (key === 'before' ? cmp >= 0 : cmp <= 0) return false;
  }
  return true;
}

function safeRegex(v: string): RegExp {
  try {
    return new RegExp(v);
  } catch {
    return new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
