import { InvalidArgument } from '../errdefs/index.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("1h30m", "42m", "1.5s"); undefined when it is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let sign = 1;
  let i = 0;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s.startsWith('-') ? -1 : 1; i = 1; }
  if (s.slice(i) === '0') return 0;
  let total = 0;
  let matched = false;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    i = re.lastIndex;
    matched = true;
  }
  return matched ? sign * total : undefined;
}

/**
 * docker's timetypes.GetTimestamp: a duration means "that long before now", a date becomes Unix
 * seconds with nanoseconds, and a plain number is passed on as is.
 */
export function toApiTimestamp(value: string, now: number = Date.now()): string {
  if (value === '') return '';
  const d = parseGoDuration(value);
  if (d !== undefined) return formatSeconds(now - d);
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  // Without a zone the time is local, as docker reads it; JS parses date-times the same way.
  const normalized = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00` : value;
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) throw new InvalidArgument(`failed to parse value as time or duration: "${value}"`);
  return formatSeconds(ms);
}

function formatSeconds(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const nanos = Math.round((ms - sec * 1000) * 1e6);
  return `${sec}.${String(nanos).padStart(9, '0')}`;
}
