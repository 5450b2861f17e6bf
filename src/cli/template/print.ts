/** Go's fmt %v of a JSON-shaped value, which is what `{{.X}}` prints. */
export function formatValue(v: unknown, top = true): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, false)).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  void top;
  return `map[${keys.map((k) => `${k}:${formatValue(obj[k], false)}`).join(' ')}]`;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const s = String(n);
  // JS writes 1e+21 and 1e-7 the way Go's %v does, except for the two-digit exponent.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's truth: false, 0, nil, empty string, empty slice or map are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function pad(s: string, width: number, left: boolean, zero: boolean): string {
  const n = [...s].length;
  if (width <= n) return s;
  const fill = (zero && !left ? '0' : ' ').repeat(width - n);
  if (left) return s + fill;
  if (zero && /^[+-]/.test(s)) return s[0] + fill + s.slice(1);
  return fill + s;
}

/** A subset of Go's fmt.Sprintf: %v %s %q %d %x %X %o %f %e %g %t %c %%, flags - + 0 space, width, precision. */
export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  return format.replace(/%([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([vsqdxXofeEgGtcT%])/g, (_m, flags: string, w?: string, p?: string, verb?: string) => {
    if (verb === '%') return '%';
    const width = w === '*' ? Number(args[argi++]) : w === undefined ? 0 : Number(w);
    const prec = p === '*' ? Number(args[argi++]) : p === undefined ? undefined : Number(p);
    if (argi >= args.length) return `%!${verb ?? ''}(MISSING)`;
    const a = args[argi++];
    const left = flags.includes('-');
    const zero = flags.includes('0');
    const plus = flags.includes('+');
    let s: string;
    switch (verb) {
      case 's': case 'v': s = formatValue(a); if (prec !== undefined) s = [...s].slice(0, prec).join(''); break;
      case 'q': s = JSON.stringify(typeof a === 'string' ? a : formatValue(a)); break;
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${formatValue(a)})`; if (plus && typeof a === 'number' && a >= 0) s = `+${s}`; break;
      case 'x': case 'X': {
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(formatValue(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'o': s = Math.trunc(Number(a)).toString(8); break;
      case 'f': s = Number(a).toFixed(prec ?? 6); break;
      case 'e': case 'E': {
        s = Number(a).toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        if (verb === 'E') s = s.toUpperCase();
        break;
      }
      case 'g': case 'G': s = prec === undefined ? formatNumber(Number(a)) : Number(Number(a).toPrecision(prec)).toString(); break;
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${formatValue(a)})`; break;
      case 'c': s = String.fromCodePoint(Number(a)); break;
      case 'T': s = a === null ? '<nil>' : Array.isArray(a) ? '[]interface {}' : typeof a === 'number' ? (Number.isInteger(a) ? 'int' : 'float64') : typeof a === 'object' ? 'map[string]interface {}' : typeof a; break;
      default: s = formatValue(a);
    }
    return pad(s, width, left, zero && verb !== 's' && verb !== 'v' && verb !== 'q');
  }) + (argi < args.length ? `%!(EXTRA ${args.slice(argi).map((a) => formatValue(a)).join(', ')})` : '');
}
