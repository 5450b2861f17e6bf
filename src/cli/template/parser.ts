import { parseError, scan, tokenize, type Token } from './lexer.js';

export type Operand =
  | { kind: 'field'; chain: string[] }
  | { kind: 'var'; name: string; chain: string[] }
  | { kind: 'func'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'sub'; pipe: Pipeline; chain: string[] };

export interface Command { args: Operand[] }
export interface Pipeline { decl: string[]; assign: boolean; cmds: Command[] }

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; body: Node[]; alt: Node[] | null };

class TokenStream {
  i = 0;
  constructor(readonly toks: Token[], readonly line: number) {}
  peek(): Token | undefined { return this.toks[this.i]; }
  next(): Token | undefined { return this.toks[this.i++]; }
}

function parsePipeline(ts: TokenStream, inParens: boolean): Pipeline {
  const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
  // Declarations: `$x :=`, `$i, $v :=`, `$x =`.
  const save = ts.i;
  const vars: string[] = [];
  for (;;) {
    const t = ts.peek();
    if (t?.t !== 'var' || t.chain.length > 0) break;
    ts.next();
    vars.push(t.name);
    const sep = ts.peek();
    if (sep?.t === 'comma') { ts.next(); continue; }
    if (sep?.t === 'declare' || sep?.t === 'assign') {
      ts.next();
      pipe.decl = vars;
      pipe.assign = sep.t === 'assign';
    }
    break;
  }
  if (pipe.decl.length === 0) ts.i = save;

  let cmd: Command = { args: [] };
  for (;;) {
    const t = ts.peek();
    if (t === undefined) break;
    if (t.t === 'rparen') {
      if (!inParens) throw parseError(ts.line, 'unexpected right paren');
      break;
    }
    ts.next();
    switch (t.t) {
      case 'pipe':
        if (cmd.args.length === 0) throw parseError(ts.line, 'missing command');
        pipe.cmds.push(cmd);
        cmd = { args: [] };
        break;
      case 'field': cmd.args.push({ kind: 'field', chain: t.chain }); break;
      case 'var': cmd.args.push({ kind: 'var', name: t.name, chain: t.chain }); break;
      case 'ident': cmd.args.push({ kind: 'func', name: t.name }); break;
      case 'string': case 'number': case 'bool': cmd.args.push({ kind: 'literal', value: t.value }); break;
      case 'nil': cmd.args.push({ kind: 'literal', value: null }); break;
      case 'lparen': {
        const sub = parsePipeline(ts, true);
        const close = ts.next();
        if (close?.t !== 'rparen') throw parseError(ts.line, 'unclosed left paren');
        cmd.args.push({ kind: 'sub', pipe: sub, chain: close.chain });
        break;
      }
      default: throw parseError(ts.line, `unexpected ${t.t} in command`);
    }
  }
  if (cmd.args.length > 0) pipe.cmds.push(cmd);
  if (pipe.cmds.length === 0) throw parseError(ts.line, 'missing value for command');
  return pipe;
}

function pipelineOf(src: string, line: number): Pipeline {
  const ts = new TokenStream(tokenize(src, line), line);
  const p = parsePipeline(ts, false);
  if (ts.peek() !== undefined) throw parseError(line, 'unexpected token in pipeline');
  return p;
}

const KEYWORD = /^\s*(if|else|end|range|with|define|template|block|break|continue)\b(.*)$/s;

/** Parses a template into a tree; unsupported actions (define, template, block) are errors. */
export function parse(src: string): Node[] {
  const segs = scan(src);
  let i = 0;

  // Parses nodes until `end` or `else`; returns which one stopped it.
  function parseList(depth: number): { nodes: Node[]; stop: 'end' | 'else' | 'eof'; elseRest: string; line: number } {
    const nodes: Node[] = [];
    while (i < segs.length) {
      const seg = segs[i++];
      if (seg === undefined) break;
      if (seg.type === 'text') { nodes.push({ kind: 'text', text: seg.text }); continue; }
      const m = KEYWORD.exec(seg.src);
      if (!m) { nodes.push({ kind: 'action', pipe: pipelineOf(seg.src, seg.line) }); continue; }
      const kw = m[1] ?? '';
      const rest = m[2] ?? '';
      if (kw === 'end' || kw === 'else') {
        if (depth === 0) throw parseError(seg.line, `unexpected {{${kw}}}`);
        return { nodes, stop: kw, elseRest: rest, line: seg.line };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        nodes.push(parseControl(kw, rest, seg.line, depth));
        continue;
      }
      throw parseError(seg.line, `{{${kw}}} is not supported`);
    }
    return { nodes, stop: 'eof', elseRest: '', line: 0 };
  }

  function parseControl(kind: 'if' | 'with' | 'range', rest: string, line: number, depth: number): Node {
    const pipe = pipelineOf(rest, line);
    const body = parseList(depth + 1);
    if (body.stop === 'eof') throw parseError(line, `unexpected EOF`);
    let alt: Node[] | null = null;
    if (body.stop === 'else') {
      const chained = /^\s*(if|with)\b(.*)$/s.exec(body.elseRest);
      if (chained && kind !== 'range') {
        // `{{else if x}}` is a nested if that shares the outer `{{end}}`.
        alt = [parseControl(chained[1] as 'if' | 'with', chained[2] ?? '', body.line, depth)];
      } else {
        if (body.elseRest.trim() !== '') throw parseError(body.line, 'unexpected token after else');
        const altList = parseList(depth + 1);
        if (altList.stop !== 'end') throw parseError(line, 'expected end; found else or EOF');
        alt = altList.nodes;
      }
    }
    return { kind, pipe, body: body.nodes, alt };
  }

  const top = parseList(0);
  return top.nodes;
}
