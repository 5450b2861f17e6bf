import { InvalidArgument } from '../../errdefs/index.js';
import type { VolumeRecord } from '../../core/metadata/index.js';

export type VolumeFilters = Map<string, string[]>;

const LIST_KEYS = new Set(['name', 'label', 'dangling', 'driver']);
const PRUNE_KEYS = new Set(['label', 'label!', 'all']);

/** The label Docker (23+) puts on anonymous volumes; prune (API ≥ 1.42) removes only those by default. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

function boolValue(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (['1', 'true'].includes(l)) return true;
  if (['0', 'false'].includes(l)) return false;
  throw new InvalidArgument(`invalid filter '${key}=${v}'`);
}

export function validateListFilters(f: VolumeFilters): void {
  for (const [k, vs] of f) {
    if (!LIST_KEYS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    if (k === 'dangling') for (const v of vs) boolValue(k, v);
  }
}

export function validatePruneFilters(f: VolumeFilters): void {
  for (const [k, vs] of f) {
    if (!PRUNE_KEYS.has(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    if (k === 'all') for (const v of vs) boolValue(k, v);
  }
}

export function pruneAll(f: VolumeFilters): boolean {
  return (f.get('all') ?? []).some((v) => boolValue('all', v));
}

function labelMatches(labels: Record<string, string>, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return wanted in labels;
  return labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/** Values of one filter are OR-ed, different filters AND-ed; every label filter must hold. */
export function volumeMatches(v: VolumeRecord, inUse: boolean, f: VolumeFilters): boolean {
  const any = (key: string, pred: (x: string) => boolean): boolean => {
    const vs = f.get(key);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  if (!any('name', (x) => v.name.includes(x))) return false;
  if (!any('driver', (x) => v.driver === x)) return false;
  if (!any('dangling', (x) => boolValue('dangling', x) === !inUse)) return false;
  if (!(f.get('label') ?? []).every((l) => labelMatches(v.labels, l))) return false;
  if ((f.get('label!') ?? []).some((l) => labelMatches(v.labels, l))) return false;
  return true;
}
