import { InvalidArgument } from '../../errdefs/index.js';
import { formatValue, sprintf, truthy } from './print.js';

export type TemplateFunc = (...args: unknown[]) => unknown;

function str(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new InvalidArgument('error calling lt: incompatible types for comparison');
}

function length(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  throw new InvalidArgument(`error calling len: len of type ${typeof v}`);
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new InvalidArgument(`error calling index: index out of range: ${String(k)}`);
      cur = cur[i];
    } else if (typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[String(k)];
    } else {
      throw new InvalidArgument(`error calling index: can't index item of type ${typeof cur}`);
    }
  }
  return cur;
}

/** strings.Title: upper-cases the first letter of every word. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** Go's builtins plus the functions docker adds (docker/cli templates/templates.go). */
export const builtinFuncs: Record<string, TemplateFunc> = {
  and: (...a) => { for (const x of a) if (!truthy(x)) return x; return a[a.length - 1]; },
  or: (...a) => { for (const x of a) if (truthy(x)) return x; return a[a.length - 1]; },
  not: (a) => !truthy(a),
  len: (a) => length(a),
  index: (v, ...k) => index(v, ...k),
  print: (...a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + str(x)).join(''),
  println: (...a) => `${a.map(str).join(' ')}\n`,
  printf: (f, ...a) => sprintf(str(f), a),
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  slice: (v, i, j) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(Number(i ?? 0), j === undefined ? undefined : Number(j));
    throw new InvalidArgument("error calling slice: can't slice item");
  },
  // docker's additions
  // Go's json.Marshal escapes <, > and & (and U+2028/9), and docker's templates print what it makes.
  json: (v) => goEscape(JSON.stringify(v === undefined ? null : v)),
  split: (s, sep) => str(s).split(str(sep)),
  join: (a, sep) => (Array.isArray(a) ? a.map(str).join(str(sep)) : str(a)),
  title: (s) => title(str(s)),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  pad: (s, prefix, suffix) => {
    const v = str(s);
    return v === '' ? v : ' '.repeat(Number(prefix)) + v + ' '.repeat(Number(suffix));
  },
  truncate: (s, n) => {
    const v = [...str(s)];
    return v.length < Number(n) ? v.join('') : v.slice(0, Number(n)).join('');
  },
};

/** The escapes Go's encoding/json adds to a JSON text (HTML-safe output). */
export function goEscape(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
