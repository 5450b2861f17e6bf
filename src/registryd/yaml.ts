import { InvalidArgument } from '../errdefs/index.js';

/**
 * A strict subset of YAML, enough for configuration files: block mappings and sequences, one-line
 * flow collections (`{ a: 1 }`, `[a, b]`), plain, single- and double-quoted scalars, booleans,
 * null, numbers and comments. Everything else (anchors, aliases, tags, block scalars, several
 * documents, tabs in indentation, duplicate keys) is refused with the line it was found on, rather
 * than guessed at: a configuration read wrongly is worse than one refused.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [k: string]: YamlValue };

interface Line {
  no: number;
  indent: number;
  text: string;
}

function fail(no: number, msg: string): never {
  throw new InvalidArgument(`line ${no}: ${msg}`);
}

/** The line without its comment (a `#` at the start or after a blank, outside quotes). */
function stripComment(s: string, no: number): string {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (quote !== null) {
      if (c === quote) quote = null;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(s[i - 1] ?? ''))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1] ?? ''))) return s.slice(0, i);
  }
  if (quote !== null) fail(no, `unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`);
  return s;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  raw.forEach((l, i) => {
    const no = i + 1;
    const lead = /^[ \t]*/.exec(l)?.[0] ?? '';
    if (lead.includes('\t') && l.trim() !== '') fail(no, 'tabs are not allowed in indentation; use spaces');
    const body = stripComment(l, no).trimEnd();
    if (body.trim() === '') return;
    if (body === '---' && out.length === 0) return;
    if (body === '---' || body === '...') fail(no, 'only one YAML document per file is supported');
    if (/^%/.test(body)) fail(no, 'YAML directives are not supported');
    out.push({ no, indent: lead.length, text: body.slice(lead.length) });
  });
  return out;
}

const INT = /^[-+]?(0|[1-9][0-9]*)$/;
const FLOAT = /^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/;

function plainScalar(s: string, no: number): YamlValue {
  const c = s[0];
  if (c === '&' || c === '*') fail(no, `anchors and aliases are not supported (quote ${JSON.stringify(s)} if it is a string)`);
  if (c === '!') fail(no, `tags are not supported (quote ${JSON.stringify(s)} if it is a string)`);
  if (c === '|' || c === '>') fail(no, 'block scalars (| and >) are not supported; use a quoted string');
  if (c === '@' || c === '`') fail(no, `a plain scalar cannot start with ${c}; quote it`);
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (s === 'null' || s === 'Null' || s === 'NULL' || s === '~') return null;
  if (INT.test(s) || FLOAT.test(s)) return Number(s);
  return s;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/', ' ': ' ', b: '\b', f: '\f', e: '\x1b' };

/** A quoted scalar starting at s[i]; returns the value and the index after the closing quote. */
function quoted(s: string, i: number, no: number): [string, number] {
  const q = s[i];
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j] as string;
    if (q === "'") {
      if (c === "'") {
        if (s[j + 1] === "'") {
          out += "'";
          j++;
          continue;
        }
        return [out, j + 1];
      }
      out += c;
      continue;
    }
    if (c === '"') return [out, j + 1];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[j + 1] ?? '';
    if (e === 'u' || e === 'x') {
      const n = e === 'u' ? 4 : 2;
      const hex = s.slice(j + 2, j + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(no, `invalid escape \\${e}${hex}`);
      out += String.fromCharCode(parseInt(hex, 16));
      j += 1 + n;
      continue;
    }
    const v = ESCAPES[e];
    if (v === undefined) fail(no, `invalid escape \\${e} in a double-quoted string`);
    out += v;
    j++;
  }
  return fail(no, 'unterminated quoted string');
}

/** One-line flow collections and scalars inside them. */
class Flow {
  i = 0;
  constructor(
    readonly s: string,
    readonly no: number,
  ) {}

  #ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  value(inFlow: boolean): YamlValue {
    this.#ws();
    const c = this.s[this.i];
    if (c === '{') return this.#map();
    if (c === '[') return this.#seq();
    if (c === '"' || c === "'") {
      const [v, next] = quoted(this.s, this.i, this.no);
      this.i = next;
      return v;
    }
    const start = this.i;
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (inFlow && (ch === ',' || ch === ']' || ch === '}')) break;
      if (inFlow && ch === ':' && (this.s[this.i + 1] === ' ' || this.s[this.i + 1] === undefined || /[,\]}]/.test(this.s[this.i + 1] ?? ''))) break;
      this.i++;
    }
    const text = this.s.slice(start, this.i).trim();
    if (text === '') return inFlow ? fail(this.no, 'empty value in a flow collection') : null;
    if (!inFlow && text.includes(': ')) fail(this.no, `${JSON.stringify(text)}: a plain value cannot hold ": "; quote it`);
    return plainScalar(text, this.no);
  }

  #expect(ch: string): void {
    this.#ws();
    if (this.s[this.i] !== ch) fail(this.no, `expected ${JSON.stringify(ch)} at column ${this.i + 1}`);
    this.i++;
  }

  #map(): YamlValue {
    this.i++;
    const out: { [k: string]: YamlValue } = {};
    this.#ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      const k = this.value(true);
      if (typeof k === 'object' && k !== null) fail(this.no, 'a mapping key must be a scalar');
      const key = String(k);
      this.#expect(':');
      if (Object.hasOwn(out, key)) fail(this.no, `duplicate key ${JSON.stringify(key)}`);
      out[key] = this.value(true);
      this.#ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.#expect('}');
      return out;
    }
  }

  #seq(): YamlValue {
    this.i++;
    const out: YamlValue[] = [];
    this.#ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(true));
      this.#ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.#expect(']');
      return out;
    }
  }

  /** The whole rest of the line is one value. */
  all(): YamlValue {
    const v = this.value(false);
    this.#ws();
    if (this.i < this.s.length) fail(this.no, `unexpected ${JSON.stringify(this.s.slice(this.i))} after the value`);
    return v;
  }
}

/** `key: rest` → [key, rest]; null when the line is no mapping entry. */
function splitKey(text: string, no: number): [string, string] | null {
  if (text[0] === '"' || text[0] === "'") {
    const [k, next] = quoted(text, 0, no);
    const after = text.slice(next);
    if (after === ':' || after.startsWith(': ')) return [k, after.slice(1).trim()];
    return null;
  }
  if (text[0] === '{' || text[0] === '[') return null;
  const m = /^([^:]*?):(?: (.*))?$/.exec(text) ?? /^(.*?): (.*)$/.exec(text);
  if (!m) return null;
  const key = (m[1] as string).trim();
  if (key === '' || key.startsWith('? ')) fail(no, key === '' ? 'empty mapping key' : 'complex mapping keys are not supported');
  return [key, (m[2] ?? '').trim()];
}

class Block {
  i = 0;
  constructor(readonly ls: Line[]) {}

  node(indent: number): YamlValue {
    const l = this.ls[this.i];
    if (!l || l.indent < indent) return null;
    if (l.text === '-' || l.text.startsWith('- ')) return this.#seq(l.indent);
    if (splitKey(l.text, l.no)) return this.#map(l.indent);
    this.i++;
    const v = new Flow(l.text, l.no).all();
    const next = this.ls[this.i];
    if (next && next.indent >= indent && next.indent > 0) fail(next.no, 'unexpected indentation (a multi-line value is not supported)');
    return v;
  }

  /** After `key:` or `-` with nothing else on the line: the nested block, or null. */
  #nested(parentIndent: number, allowSameIndentSeq: boolean): YamlValue {
    const next = this.ls[this.i];
    if (!next) return null;
    if (next.indent > parentIndent) return this.node(next.indent);
    if (allowSameIndentSeq && next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- '))) return this.#seq(parentIndent);
    return null;
  }

  #map(indent: number): YamlValue {
    const out: { [k: string]: YamlValue } = {};
    while (this.i < this.ls.length) {
      const l = this.ls[this.i] as Line;
      if (l.indent < indent) break;
      if (l.indent > indent) fail(l.no, 'unexpected indentation');
      if (l.text === '-' || l.text.startsWith('- ')) break;
      const kv = splitKey(l.text, l.no);
      if (!kv) fail(l.no, `expected "key: value", found ${JSON.stringify(l.text)}`);
      const [key, rest] = kv;
      if (Object.hasOwn(out, key)) fail(l.no, `duplicate key ${JSON.stringify(key)}`);
      this.i++;
      if (rest === '') {
        out[key] = this.#nested(indent, true);
      } else {
        out[key] = new Flow(rest, l.no).all();
        const next = this.ls[this.i];
        if (next && next.indent > indent) fail(next.no, `unexpected indentation after the value of ${JSON.stringify(key)}`);
      }
    }
    return out;
  }

  #seq(indent: number): YamlValue {
    const out: YamlValue[] = [];
    while (this.i < this.ls.length) {
      const l = this.ls[this.i] as Line;
      if (l.indent < indent) break;
      if (l.indent > indent) fail(l.no, 'unexpected indentation');
      if (!(l.text === '-' || l.text.startsWith('- '))) break;
      const rest = l.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        out.push(this.#nested(indent, false));
        continue;
      }
      // `- key: value` opens a mapping whose keys line up with `key`: re-read the line at that column.
      const column = indent + (l.text.length - rest.length);
      this.ls[this.i] = { no: l.no, indent: column, text: rest };
      out.push(this.node(column));
    }
    return out;
  }
}

/** Parses one YAML document (the subset above); InvalidArgument names the line of any problem. */
export function parseYaml(text: string): YamlValue {
  const ls = lines(text);
  if (ls.length === 0) return null;
  const b = new Block(ls);
  const first = ls[0] as Line;
  const v = b.node(first.indent);
  const left = ls[b.i];
  if (left) fail(left.no, left.indent < first.indent ? 'less indented than the first line' : 'unexpected content');
  return v;
}
