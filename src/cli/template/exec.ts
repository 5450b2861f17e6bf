import { InvalidArgument } from '../../errdefs/index.js';
import { builtinFuncs, type TemplateFunc } from './funcs.js';
import { parse, type Command, type Node, type Operand, type Pipeline } from './parser.js';
import { formatValue, truthy } from './print.js';

interface Scope {
  vars: Array<{ name: string; value: unknown }>;
  funcs: Record<string, TemplateFunc>;
}

function execError(msg: string): InvalidArgument {
  return new InvalidArgument(`template: :1: executing "" ${msg}`);
}

/**
 * Field access on JSON-shaped data. A function-valued field is a method: it is called with the
 * command's arguments (docker's `.Label "key"`).
 */
function field(value: unknown, name: string): unknown {
  if (value === null || value === undefined) {
    if (value === null) throw execError(`at <.${name}>: nil pointer evaluating interface {}.${name}`);
    return undefined;
  }
  if (typeof value !== 'object') throw execError(`at <.${name}>: can't evaluate field ${name} in type ${typeof value}`);
  return (value as Record<string, unknown>)[name];
}

function walk(value: unknown, chain: readonly string[], args: unknown[] | null): unknown {
  let cur = value;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i] ?? '';
    const holder = cur;
    cur = field(cur, name);
    if (typeof cur === 'function') {
      const last = i === chain.length - 1;
      cur = (cur as TemplateFunc).apply(holder, last && args ? args : []);
    }
  }
  return cur;
}

function lookupVar(scope: Scope, name: string): unknown {
  for (let i = scope.vars.length - 1; i >= 0; i--) {
    const v = scope.vars[i];
    if (v?.name === name) return v.value;
  }
  throw execError(`undefined variable: ${name}`);
}

function evalArg(op: Operand, dot: unknown, scope: Scope): unknown {
  switch (op.kind) {
    case 'field': return walk(dot, op.chain, null);
    case 'var': return walk(lookupVar(scope, op.name), op.chain, null);
    case 'literal': return op.value;
    case 'sub': return walk(evalPipeline(op.pipe, dot, scope), op.chain, null);
    case 'func': {
      const f = scope.funcs[op.name];
      if (!f) throw new InvalidArgument(`template parsing error: template: :1: function "${op.name}" not defined`);
      return f();
    }
  }
}

function evalCommand(cmd: Command, dot: unknown, scope: Scope, piped: { value: unknown } | null): unknown {
  const [head, ...rest] = cmd.args;
  if (!head) throw execError('empty command');
  const args = rest.map((a) => evalArg(a, dot, scope));
  if (piped) args.push(piped.value);
  switch (head.kind) {
    case 'func': {
      const f = scope.funcs[head.name];
      if (!f) throw new InvalidArgument(`template parsing error: template: :1: function "${head.name}" not defined`);
      try {
        return f(...args);
      } catch (e) {
        if (e instanceof InvalidArgument) throw e;
        throw execError(`error calling ${head.name}: ${(e as Error).message}`);
      }
    }
    case 'field': return walk(dot, head.chain, args);
    case 'var': return walk(lookupVar(scope, head.name), head.chain, args);
    case 'sub': return walk(evalPipeline(head.pipe, dot, scope), head.chain, args);
    case 'literal':
      if (args.length > 0) throw execError(`can't give argument to non-function ${formatValue(head.value)}`);
      return head.value;
  }
}

function evalPipeline(pipe: Pipeline, dot: unknown, scope: Scope): unknown {
  let value: { value: unknown } | null = null;
  for (const cmd of pipe.cmds) value = { value: evalCommand(cmd, dot, scope, value) };
  const result = value?.value;
  if (pipe.decl.length > 0) {
    const name = pipe.decl[0] ?? '';
    if (pipe.assign) {
      const v = [...scope.vars].reverse().find((x) => x.name === name);
      if (!v) throw execError(`undefined variable: ${name}`);
      v.value = result;
    } else {
      scope.vars.push({ name, value: result });
    }
  }
  return result;
}

function execList(nodes: readonly Node[], dot: unknown, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out.push(n.text); break;
      case 'action': {
        const v = evalPipeline(n.pipe, dot, scope);
        if (n.pipe.decl.length === 0) out.push(formatValue(v));
        break;
      }
      case 'if': case 'with': {
        const mark = scope.vars.length;
        const v = evalPipeline({ ...n.pipe, decl: n.pipe.decl.slice(0, 1) }, dot, scope);
        if (truthy(v)) execList(n.body, n.kind === 'with' ? v : dot, scope, out);
        else if (n.alt) execList(n.alt, dot, scope, out);
        scope.vars.length = mark;
        break;
      }
      case 'range': {
        const mark = scope.vars.length;
        const v = evalPipeline({ ...n.pipe, decl: [] }, dot, scope);
        let entries: Array<[unknown, unknown]>;
        if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
        else if (v !== null && typeof v === 'object') entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
        else if (typeof v === 'number') entries = Array.from({ length: v }, (_x, i) => [i, i]);
        else if (v === null || v === undefined) entries = [];
        else throw execError(`range can't iterate over ${formatValue(v)}`);
        if (entries.length === 0) {
          if (n.alt) execList(n.alt, dot, scope, out);
        }
        for (const [k, x] of entries) {
          const inner = scope.vars.length;
          if (n.pipe.decl.length === 1) scope.vars.push({ name: n.pipe.decl[0] ?? '', value: x });
          else if (n.pipe.decl.length >= 2) {
            scope.vars.push({ name: n.pipe.decl[0] ?? '', value: k }, { name: n.pipe.decl[1] ?? '', value: x });
          }
          execList(n.body, x, scope, out);
          scope.vars.length = inner;
        }
        scope.vars.length = mark;
        break;
      }
    }
  }
}

/** A parsed Go text/template (the subset docker's --format uses). */
export class Template {
  private readonly tree: Node[];
  private readonly funcs: Record<string, TemplateFunc>;
  constructor(source: string, funcs: Record<string, TemplateFunc> = {}) {
    this.funcs = { ...builtinFuncs, ...funcs };
    this.tree = parse(source);
    checkFuncs(this.tree, this.funcs);
  }
  execute(data: unknown): string {
    const out: string[] = [];
    execList(this.tree, data, { vars: [{ name: '$', value: data }], funcs: this.funcs }, out);
    return out.join('');
  }
}

/** Go reports unknown functions at parse time; so do we. */
function checkFuncs(nodes: readonly Node[], funcs: Record<string, TemplateFunc>): void {
  const checkPipe = (p: Pipeline): void => {
    for (const c of p.cmds) for (const a of c.args) {
      if (a.kind === 'func' && !funcs[a.name]) throw new InvalidArgument(`template parsing error: template: :1: function "${a.name}" not defined`);
      if (a.kind === 'sub') checkPipe(a.pipe);
    }
  };
  for (const n of nodes) {
    if (n.kind === 'text') continue;
    checkPipe(n.pipe);
    if (n.kind !== 'action') {
      checkFuncs(n.body, funcs);
      if (n.alt) checkFuncs(n.alt, funcs);
    }
  }
}
