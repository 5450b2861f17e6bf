import { InvalidArgument } from '../../errdefs/index.js';
import type { NetworkRecord } from '../../core/metadata/index.js';

export type NetworkFilters = Map<string, string[]>;

const LIST_FILTERS = new Set(['name', 'id', 'label', 'driver', 'type', 'dangling', 'scope']);

export function validateNetworkFilters(f: NetworkFilters): void {
  for (const k of f.keys()) if (!LIST_FILTERS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
  for (const t of f.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidArgument(`invalid filter: 'type'='${t}'`);
  for (const d of f.get('dangling') ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidArgument(`invalid filter 'dangling=${d}'`);
}

function labelOk(labels: Record<string, string>, l: string): boolean {
  const eq = l.indexOf('=');
  return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
}

/** Docker's network filters: values of one key OR-ed (labels AND-ed), keys AND-ed; name matches a substring, id a prefix. */
export function networkMatches(n: NetworkRecord, f: NetworkFilters, inUse: boolean): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const vs = f.get(key);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  if (!any('name', (v) => n.name.includes(v))) return false;
  if (!any('id', (v) => n.id.startsWith(v))) return false;
  if (!any('driver', (v) => v === n.driver)) return false;
  if (!any('scope', (v) => v === 'local')) return false;
  if (!any('type', (v) => (v === 'builtin') === n.predefined)) return false;
  if (!any('dangling', (v) => (v === 'true' || v === '1') === (!inUse && !n.predefined))) return false;
  return (f.get('label') ?? []).every((l) => labelOk(n.labels, l));
}

/** network prune's filters: until and label / label!. Returns "keep this network". */
export function pruneKeep(f: NetworkFilters, parseUntil: (v: string) => number): (n: NetworkRecord) => boolean {
  for (const k of f.keys()) if (k !== 'until' && k !== 'label' && k !== 'label!') throw new InvalidArgument(`invalid filter '${k}'`);
  const until = f.get('until')?.[0];
  const untilMs = until === undefined ? undefined : parseUntil(until);
  return (n) =>
    (untilMs !== undefined && Date.parse(n.created) >= untilMs) ||
    !(f.get('label') ?? []).every((l) => labelOk(n.labels, l)) ||
    (f.get('label!') ?? []).some((l) => labelOk(n.labels, l));
}
