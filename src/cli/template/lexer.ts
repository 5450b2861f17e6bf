import { InvalidArgument } from '../../errdefs/index.js';

/** A piece of the template source: literal text or the inside of one `{{ }}` action. */
export type Segment = { type: 'text'; text: string } | { type: 'action'; src: string; line: number };

export type Token =
  | { t: 'field'; chain: string[] }
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'ident'; name: string }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'nil' }
  | { t: 'pipe' }
  | { t: 'lparen' }
  | { t: 'rparen'; chain: string[] }
  | { t: 'declare' }
  | { t: 'assign' }
  | { t: 'comma' };

export function parseError(line: number, msg: string): InvalidArgument {
  return new InvalidArgument(`template parsing error: template: :${line}: ${msg}`);
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Splits the source into text and actions, applying the `{{-` and `-}}` trim markers. */
export function scan(src: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let trimNext = false;
  let line = 1;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text !== '') out.push({ type: 'text', text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && isSpace(src[start + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    if (text !== '') out.push({ type: 'text', text });
    line += (src.slice(i, open).match(/\n/g) ?? []).length;
    // Find the closing delimiter, skipping quoted strings that may contain "}}".
    let j = start;
    let quote: string | null = null;
    for (; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === '\\' && quote !== '`') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === '`' || c === "'") {
        quote = c;
      } else if (c === '}' && src[j + 1] === '}') {
        break;
      }
    }
    if (j >= src.length) throw parseError(line, 'unclosed action');
    let inner = src.slice(start, j);
    trimNext = false;
    if (inner.endsWith('-') && isSpace(inner[inner.length - 2])) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    const trimmed = inner.trim();
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) out.push({ type: 'action', src: inner, line });
    line += (inner.match(/\n/g) ?? []).length;
    i = j + 2;
  }
  return out;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const CHAIN = /(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;
const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/y;

function readChain(src: string, pos: number): { chain: string[]; end: number } {
  CHAIN.lastIndex = pos;
  const m = CHAIN.exec(src);
  if (!m) return { chain: [], end: pos };
  return { chain: m[0].slice(1).split('.'), end: pos + m[0].length };
}

/** Tokenizes the inside of one action. */
export function tokenize(src: string, line: number): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (isSpace(c)) { i++; continue; }
    if (c === '|') { toks.push({ t: 'pipe' }); i++; continue; }
    if (c === '(') { toks.push({ t: 'lparen' }); i++; continue; }
    if (c === ')') {
      const { chain, end } = readChain(src, i + 1);
      toks.push({ t: 'rparen', chain });
      i = end;
      continue;
    }
    if (c === ',') { toks.push({ t: 'comma' }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { toks.push({ t: 'declare' }); i += 2; continue; }
    if (c === '=') { toks.push({ t: 'assign' }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      for (; j < src.length && src[j] !== '"'; j++) if (src[j] === '\\') j++;
      if (j >= src.length) throw parseError(line, 'unterminated quoted string');
      toks.push({ t: 'string', value: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw parseError(line, 'unterminated raw quoted string');
      toks.push({ t: 'string', value: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) throw parseError(line, 'unterminated character constant');
      toks.push({ t: 'number', value: src.slice(i + 1, j).codePointAt(0) ?? 0 });
      i = j + 1;
      continue;
    }
    if (c === '$') {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(src);
      const name = m ? `$${m[0]}` : '$';
      const { chain, end } = readChain(src, i + name.length);
      toks.push({ t: 'var', name, chain });
      i = end;
      continue;
    }
    if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      const { chain, end } = readChain(src, i);
      toks.push({ t: 'field', chain });
      i = chain.length === 0 ? i + 1 : end;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = /[0-9+\-.]/.test(c) ? NUMBER.exec(src) : null;
    if (num) {
      toks.push({ t: 'number', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(src);
    if (id) {
      const name = id[0];
      if (name === 'true' || name === 'false') toks.push({ t: 'bool', value: name === 'true' });
      else if (name === 'nil') toks.push({ t: 'nil' });
      else toks.push({ t: 'ident', name });
      i += name.length;
      continue;
    }
    throw parseError(line, `unexpected "${c}" in command`);
  }
  return toks;
}
