import { InvalidArgument } from '../../errdefs/index.js';

/**
 * COPY/ADD --exclude patterns, matched as BuildKit's pattern matcher does for .dockerignore-style
 * patterns: path segments with `*`, `?`, `[…]` (never across '/'), `**` for any number of
 * directories; a path is excluded when it or one of its parent directories matches.
 */
export class Excluder {
  readonly #res: RegExp[];

  constructor(patterns: string[]) {
    this.#res = patterns.map((p) => {
      if (p.startsWith('!')) throw new InvalidArgument(`--exclude=${p}: exceptions (!) are not supported in --exclude patterns`);
      const clean = p.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
      if (clean === '') throw new InvalidArgument(`--exclude needs a pattern, not "${p}"`);
      return patternRegex(clean);
    });
  }

  get empty(): boolean {
    return this.#res.length === 0;
  }

  /** Whether `rel` (a '/'-separated path) or a directory above it is excluded. */
  excludes(rel: string): boolean {
    if (rel === '' || this.#res.length === 0) return false;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (this.#res.some((re) => re.test(p))) return true;
    }
    return false;
  }
}

/**
 * A pattern as a regular expression: `*` and `?` within a segment, `**` across any number of them;
 * with `doubleStar: false`, Go's filepath.Match (a `**` is two `*`, neither crossing '/').
 */
export function patternRegex(pattern: string, opts: { doubleStar?: boolean } = {}): RegExp {
  const doubleStar = opts.doubleStar ?? true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (doubleStar && c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i] as string}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidArgument(`syntax error in pattern: ${pattern}`);
      const body = pattern.slice(i + 1, end).replace(/^\^/, '!');
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
