/** Reading decoded CRI messages (proto-loader's plain objects) without trusting their shapes. */
export type Msg = Record<string, unknown>;

export function obj(v: unknown): Msg | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Msg) : null;
}

export function str(m: Msg | null, k: string): string {
  const v = m?.[k];
  return typeof v === 'string' ? v : '';
}

export function bool(m: Msg | null, k: string): boolean {
  return m?.[k] === true;
}

/** An int64 (a decimal string on this wire) or int32 field as a number. */
export function num(m: Msg | null, k: string): number {
  const v = m?.[k];
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0;
}

export function strings(m: Msg | null, k: string): string[] {
  const v = m?.[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function map(m: Msg | null, k: string): Record<string, string> {
  const v = obj(m?.[k]);
  const out: Record<string, string> = {};
  for (const [key, val] of Object.entries(v ?? {})) if (typeof val === 'string') out[key] = val;
  return out;
}

/** Whether `labels` holds every pair of `selector` (CRI's label_selector). */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Milliseconds since the epoch (or an RFC 3339 time) as CRI's int64 nanoseconds; 0 for never. */
export function nanos(t: string | number): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms) || ms <= 0) return '0';
  return String(BigInt(Math.trunc(ms)) * 1_000_000n);
}
