import { splitRawWords } from './shell-lex.js';

/** A here-document of RUN, COPY or ADD: `<<EOF`, `<<-EOF` (tabs stripped), `<<'EOF'` (not expanded). */
export interface Heredoc {
  /** The delimiter word, quotes removed: also the file name COPY gives it. */
  name: string;
  /** The lines up to the delimiter, each ending in '\n', as written (tabs not yet stripped). */
  content: string;
  /** Unquoted delimiter: COPY expands build variables in the content. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the content and the delimiter line. */
  chomp: boolean;
}

const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;

/** The delimiter without its quotes and escapes, and whether any part of it was quoted. */
function unquote(given: string): { name: string; quoted: boolean } {
  let name = '';
  let quoted = false;
  for (let i = 0; i < given.length; i++) {
    const c = given[i] as string;
    if (c === "'" || c === '"') {
      quoted = true;
      const end = given.indexOf(c, i + 1);
      const stop = end < 0 ? given.length : end;
      name += given.slice(i + 1, stop);
      i = stop;
    } else if (c === '\\' && i + 1 < given.length) {
      quoted = true;
      name += given[++i];
    } else name += c;
  }
  return { name, quoted };
}

/** A word that starts a here-document (`<<EOF`, `3<<-"EOF"`), or null. */
export function heredocWord(word: string): { name: string; expand: boolean; chomp: boolean } | null {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3] === '') return null;
  const { name, quoted } = unquote(m[3] as string);
  if (name === '' || /\s/.test(name)) return null;
  return { name, expand: !quoted, chomp: m[2] === '-' };
}

/** The here-documents an instruction's line opens, in order. */
export function heredocsOf(line: string): { name: string; expand: boolean; chomp: boolean }[] {
  if (!line.includes('<<')) return [];
  const out: { name: string; expand: boolean; chomp: boolean }[] = [];
  const words = splitRawWords(line, '\\');
  for (let i = 0; i < words.length; i++) {
    // `<< EOF`: the delimiter may follow after blanks, as BuildKit's lexer reads it.
    const w = /^\d*<<-?$/.test(words[i] as string) && i + 1 < words.length ? `${words[i] as string}${words[++i] as string}` : (words[i] as string);
    const h = heredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** `<<-`'s rule: leading tabs off every line. */
export function chompTabs(s: string): string {
  return s.replace(/^\t+/gm, '');
}

/** The content as a file gets it: tabs stripped for `<<-`. */
export function heredocData(h: Heredoc): string {
  return h.chomp ? chompTabs(h.content) : h.content;
}
