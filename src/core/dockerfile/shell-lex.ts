import { InvalidArgument } from '../../errdefs/index.js';

/** The value of a build variable, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** A piece of the expanded text, and whether whitespace in it separates words. */
interface Piece {
  text: string;
  split: boolean;
}

/**
 * Docker's Dockerfile word lexer (the shell-like subset): single quotes literal, double quotes with
 * `$` expansion, the escape character, `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`,
 * `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}`. Unset variables expand to ''.
 */
class Lexer {
  #i = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
    /** Heredoc content (BuildKit's ExpandRaw): quotes are plain characters, special parameters ($@, $$ …) are variables. */
    private readonly heredoc = false,
  ) {}

  #peek(): string | undefined {
    return this.s[this.#i];
  }

  #next(): string | undefined {
    return this.s[this.#i++];
  }

  /** Reads until `stop` (exclusive, consumed) or the end. */
  run(stop?: string): Piece[] {
    const out: Piece[] = [];
    const lit = (t: string): void => {
      const last = out.at(-1);
      if (last && !last.split) last.text += t;
      else out.push({ text: t, split: false });
    };
    for (;;) {
      const c = this.#next();
      if (c === undefined) {
        if (stop !== undefined) throw new InvalidArgument(`syntax error: missing '${stop}' in ${JSON.stringify(this.s)}`);
        return out;
      }
      if (c === stop) return out;
      if (this.heredoc && (c === "'" || c === '"')) lit(c);
      else if (c === "'") lit(this.#single());
      else if (c === '"') lit(this.#double());
      else if (c === '$') {
        const v = this.#dollar();
        out.push({ text: v, split: true });
      } else if (c === this.escape) {
        const n = this.#next();
        if (n !== undefined) lit(n);
      } else if (/\s/.test(c)) out.push({ text: c, split: true });
      else lit(c);
    }
  }

  #single(): string {
    let t = '';
    for (;;) {
      const c = this.#next();
      if (c === undefined) throw new InvalidArgument(`unexpected end of statement while looking for matching '`);
      if (c === "'") return t;
      t += c;
    }
  }

  #double(): string {
    let t = '';
    for (;;) {
      const c = this.#next();
      if (c === undefined) throw new InvalidArgument('unexpected end of statement while looking for matching "');
      if (c === '"') return t;
      if (c === '$') t += this.#dollar();
      else if (c === this.escape) {
        const n = this.#peek();
        if (n === '"' || n === '$' || n === this.escape) t += this.#next() as string;
        else t += c;
      } else t += c;
    }
  }

  #name(): string {
    let n = '';
    for (let c = this.#peek(); c !== undefined && /[A-Za-z0-9_]/.test(c); c = this.#peek()) n += this.#next();
    return n;
  }

  #dollar(): string {
    const c = this.#peek();
    if (c !== '{') {
      // $1, $@, $$ …: positional and special parameters, never set in a build: empty.
      if (this.heredoc && c !== undefined && /[0-9@*#?$!-]/.test(c)) {
        let name = this.#next() as string;
        if (/[0-9]/.test(c)) while (/[0-9]/.test(this.#peek() ?? '')) name += this.#next() as string;
        return this.lookup(name) ?? '';
      }
      const name = this.#name();
      if (name === '') return '$';
      return this.lookup(name) ?? '';
    }
    this.#next();
    const name = this.#name();
    if (name === '') throw new InvalidArgument(`bad substitution: ${JSON.stringify(this.s)}`);
    let op = this.#next();
    if (op === '}') return this.lookup(name) ?? '';
    let colon = false;
    if (op === ':') {
      colon = true;
      op = this.#next();
    }
    if (op !== '-' && op !== '+' && op !== '?') throw new InvalidArgument(`unsupported modifier (${op ?? ''}) in substitution: ${JSON.stringify(this.s)}`);
    const word = this.run('}').map((p) => p.text).join('');
    const v = this.lookup(name);
    const set = colon ? v !== undefined && v !== '' : v !== undefined;
    if (op === '-') return set ? (v as string) : word;
    if (op === '+') return set ? word : '';
    if (!set) throw new InvalidArgument(`${name}: ${word || 'is not allowed to be unset'}`);
    return v as string;
  }
}

/** Expands one word: quotes removed, variables substituted, whitespace kept. */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): string {
  return new Lexer(word, lookup, escape).run().map((p) => p.text).join('');
}

/**
 * Expands the variables of a here-document's content (COPY <<EOF with an unquoted delimiter), as
 * BuildKit's ExpandRaw does: `$X`, `${X}` replaced (also inside quotes, which are plain text),
 * positional and special parameters ($1, $@, $$) empty, the escape character escaping the next one.
 */
export function expandHeredoc(text: string, lookup: Lookup): string {
  return new Lexer(text, lookup, '\\', true).run().map((p) => p.text).join('');
}

/** Expands and splits into words on unquoted whitespace (also whitespace from variable values). */
export function expandWords(text: string, lookup: Lookup, escape = '\\'): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (const p of new Lexer(text, lookup, escape).run()) {
    if (!p.split) {
      cur = (cur ?? '') + p.text;
      continue;
    }
    const parts = p.text.split(/\s+/);
    parts.forEach((part, i) => {
      if (i > 0 && cur !== null) {
        out.push(cur);
        cur = null;
      }
      if (part !== '') cur = (cur ?? '') + part;
    });
  }
  if (cur !== null) out.push(cur);
  return out;
}

/**
 * Splits on unquoted whitespace WITHOUT removing quotes or expanding: the words of `ENV a="x y" b=c`
 * stay as written until each is expanded.
 */
export function splitRawWords(s: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote !== null) {
      cur += c;
      if (c === escape && quote === '"' && i + 1 < s.length) cur += s[++i];
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === escape && i + 1 < s.length) {
      cur += c + (s[++i] as string);
    } else if (/\s/.test(c)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}
