import { InvalidArgument } from '../../errdefs/index.js';
import { DockerfileError } from './errors.js';
import { heredocData, heredocWord } from './heredoc.js';
import { parseError, parseDockerfile, type Node } from './parser.js';
import { mountKeys, parseRunMount } from './run-mounts.js';
import { splitRawWords } from './shell-lex.js';

/** RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD: a JSON array (exec form) or text for the shell. */
export type CommandForm = { json: true; args: string[] } | { json: false; text: string };

export interface HealthcheckSpec {
  /** null for HEALTHCHECK NONE. */
  cmd: CommandForm | null;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: string;
}

interface Base {
  line: number;
  original: string;
}

/** The instructions, typed; words are NOT expanded yet (that needs the build's variables). */
export type Instruction = Base &
  (
    | { kind: 'from'; image: string; stage?: string; platform?: string }
    | {
        kind: 'run';
        cmd: CommandForm;
        network?: RunNetwork;
        script?: HeredocFile;
        /** The --mount values as written (expanded and read when the step runs: parseRunMount). */
        mounts?: string[];
        /** --security=insecure (sandbox, the default, is not recorded). */
        security?: 'insecure';
      }
    | { kind: 'cmd'; cmd: CommandForm }
    | { kind: 'entrypoint'; cmd: CommandForm }
    | {
        kind: 'copy' | 'add';
        sources: string[];
        /** Sources given as here-documents (`COPY <<EOF /dest`): files named by their delimiter. */
        inline?: HeredocFile[];
        dest: string;
        from?: string;
        chown?: string;
        chmod?: string;
        link?: boolean;
        parents?: boolean;
        exclude?: string[];
        checksum?: string;
      }
    | { kind: 'env' | 'label'; pairs: [string, string][] }
    | { kind: 'arg'; args: { name: string; value?: string }[] }
    | { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string }
    | { kind: 'expose' | 'volume'; values: string[] }
    | { kind: 'healthcheck'; health: HealthcheckSpec }
    | { kind: 'shell'; shell: string[] }
    | { kind: 'onbuild'; expression: string }
  );

/** RUN --network: the step's container on the default (bridge) network, none, or the host's. */
export type RunNetwork = 'default' | 'none' | 'host';

/** A here-document that becomes a file: its name, its text (tabs stripped for `<<-`), expanded or not. */
export interface HeredocFile {
  name: string;
  data: string;
  expand: boolean;
}

export interface Stage {
  base: Extract<Instruction, { kind: 'from' }>;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: string;
  /** The parser directives (`syntax`, `escape`, `check`) as written. */
  directives: Record<string, string>;
  /** ARGs before the first FROM (they parameterize FROM lines). */
  metaArgs: Extract<Instruction, { kind: 'arg' }>[];
  stages: Stage[];
}

function jsonArray(s: string): string[] | null {
  if (!s.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    /* not JSON: Docker then takes the shell form */
  }
  return null;
}

function commandForm(rest: string): CommandForm {
  const a = jsonArray(rest);
  return a ? { json: true, args: a } : { json: false, text: rest };
}

type FlagKind = 'string' | 'bool' | 'list';

/**
 * The leading `--name[=value]` flags, checked as BuildKit's BFlags does: unknown names, a value
 * missing or given to a boolean wrongly, a single-valued flag given twice. A list flag collects every
 * value (`--exclude=a --exclude=b`); a boolean flag maps to 'true' or 'false'.
 */
function flags(n: Node, allowed: Record<string, FlagKind>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of n.flags) {
    const eq = f.indexOf('=');
    const name = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? undefined : f.slice(eq + 1);
    const kind = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (kind === undefined) throw parseError(n.startLine, `unknown flag: ${name}`);
    let v: string;
    if (kind === 'bool') {
      if (value !== undefined && !/^(true|false)$/i.test(value)) throw parseError(n.startLine, `expecting boolean value for flag ${name}, not: ${value}`);
      v = value === undefined ? 'true' : value.toLowerCase();
    } else {
      if (value === undefined) throw parseError(n.startLine, `missing a value on flag: ${name}`);
      v = value;
    }
    const prev = out.get(name);
    if (prev && kind !== 'list') throw parseError(n.startLine, `duplicate flag specified: ${name}`);
    out.set(name, [...(prev ?? []), v]);
  }
  return out;
}

function flagMap(n: Node, allowed: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of flags(n, Object.fromEntries(allowed.map((a) => [a, 'string'])))) out.set(k, v[0] as string);
  return out;
}

function needArgs(n: Node, what = `${n.cmd.toUpperCase()} requires at least one argument`): void {
  if (n.rest === '') throw parseError(n.startLine, what);
}

function opt(m: Map<string, string>, k: string): string | undefined {
  return m.get(k);
}

/** `ENV a=b c="d e"`, or the legacy `ENV a b c` (key, then the rest as its value). */
function pairs(n: Node, escape: string): [string, string][] {
  needArgs(n, n.cmd === 'env' ? 'ENV must have two arguments' : 'LABEL requires at least one argument');
  const words = splitRawWords(n.rest, escape);
  if (n.cmd === 'env' && !(words[0] as string).includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(n.rest);
    if (!m) throw parseError(n.startLine, 'ENV must have two arguments');
    return [[m[1] as string, m[2] as string]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw parseError(n.startLine, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function healthcheck(n: Node): HealthcheckSpec {
  needArgs(n);
  const f = flagMap(n, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
  const m = /^(\S+)\s*([\s\S]*)$/.exec(n.rest) as RegExpExecArray;
  const type = (m[1] as string).toUpperCase();
  if (type === 'NONE') {
    if ((m[2] as string) !== '' || n.flags.length) throw parseError(n.startLine, 'HEALTHCHECK NONE takes no arguments');
    return { cmd: null };
  }
  if (type !== 'CMD') throw parseError(n.startLine, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if ((m[2] as string) === '') throw parseError(n.startLine, 'Missing command after HEALTHCHECK CMD');
  const spec: HealthcheckSpec = { cmd: commandForm(m[2] as string) };
  const set = (k: keyof HealthcheckSpec, flag: string): void => {
    const v = opt(f, flag);
    if (v !== undefined) (spec as unknown as Record<string, string>)[k] = v;
  };
  set('interval', 'interval');
  set('timeout', 'timeout');
  set('startPeriod', 'start-period');
  set('startInterval', 'start-interval');
  set('retries', 'retries');
  return spec;
}

/** One node as a typed instruction; bad arguments are parse errors naming the line. */
export function toInstruction(n: Node, escape: string): Instruction {
  const base = { line: n.startLine, original: n.original };
  const noFlags = (): void => void flagMap(n, []);
  switch (n.cmd) {
    case 'from': {
      const f = flagMap(n, ['platform']);
      const w = n.rest.split(/\s+/).filter(Boolean);
      if (w.length !== 1 && !(w.length === 3 && (w[1] as string).toLowerCase() === 'as')) throw parseError(n.startLine, 'FROM requires either one or three arguments');
      const platform = opt(f, 'platform');
      return { ...base, kind: 'from', image: w[0] as string, ...(w[2] ? { stage: (w[2]).toLowerCase() } : {}), ...(platform ? { platform } : {}) };
    }
    case 'run': {
      const f = flags(n, { network: 'string', security: 'string', mount: 'list' });
      needArgs(n);
      const mounts = f.get('mount') ?? [];
      for (const m of mounts) {
        try {
          // Checked now for what does not depend on the build's variables; all of it again when the step runs.
          if (m.includes('$')) mountKeys(m);
          else parseRunMount(m);
        } catch (e) {
          throw parseError(n.startLine, (e as Error).message);
        }
      }
      const security = f.get('security')?.[0];
      if (security !== undefined && security !== 'sandbox' && security !== 'insecure') throw parseError(n.startLine, `unsupported security mode "${security}": RUN --security takes sandbox or insecure`);
      const network = f.get('network')?.[0];
      if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') throw parseError(n.startLine, `unsupported network mode "${network}": RUN --network takes default, none or host`);
      return { ...base, kind: 'run', ...runCommand(n), ...(network !== undefined ? { network } : {}), ...(mounts.length ? { mounts } : {}), ...(security === 'insecure' ? { security } : {}) };
    }
    case 'cmd':
    case 'entrypoint':
      noFlags();
      needArgs(n);
      return { ...base, kind: n.cmd, cmd: commandForm(n.rest) };
    case 'copy':
    case 'add': {
      const common: Record<string, FlagKind> = { chown: 'string', chmod: 'string', link: 'bool', exclude: 'list' };
      const f = flags(n, n.cmd === 'copy' ? { ...common, from: 'string', parents: 'bool' } : { ...common, checksum: 'string', 'keep-git-dir': 'bool' });
      const json = jsonArray(n.rest);
      const list = json ?? splitRawWords(n.rest, escape);
      const what = n.cmd.toUpperCase();
      if (list.length < 2) throw parseError(n.startLine, `${what} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      if (f.has('keep-git-dir')) throw parseError(n.startLine, 'ADD --keep-git-dir is not supported by berth: berth does not build from git sources');
      const dest = list.at(-1) as string;
      if (!json && heredocWord(dest)) throw parseError(n.startLine, `${what} cannot take a here-document as its destination`);
      const sources: string[] = [];
      const inline: HeredocFile[] = [];
      const srcWords = list.slice(0, -1);
      for (let i = 0; i < srcWords.length; i++) {
        const w = !json && /^\d*<<-?$/.test(srcWords[i] as string) && i + 1 < srcWords.length ? `${srcWords[i] as string}${srcWords[++i] as string}` : (srcWords[i] as string);
        const h = json ? null : heredocWord(w);
        const doc = h ? n.heredocs.find((d) => d.name === h.name) : undefined;
        if (h && doc) inline.push({ name: h.name, data: heredocData({ ...doc, chomp: h.chomp }), expand: h.expand });
        else sources.push(w);
      }
      const from = f.get('from')?.[0];
      const chown = f.get('chown')?.[0];
      const chmod = f.get('chmod')?.[0];
      const checksum = f.get('checksum')?.[0];
      if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(checksum) && !checksum.includes('$')) throw parseError(n.startLine, `invalid checksum digest format "${checksum}": use sha256: and 64 hex digits`);
      const exclude = f.get('exclude');
      return {
        ...base,
        kind: n.cmd,
        sources,
        ...(inline.length ? { inline } : {}),
        dest,
        ...(from !== undefined ? { from } : {}),
        ...(f.get('link')?.[0] === 'true' ? { link: true } : {}),
        ...(f.get('parents')?.[0] === 'true' ? { parents: true } : {}),
        ...(exclude?.length ? { exclude } : {}),
        ...(checksum !== undefined ? { checksum } : {}),
        ...(chown !== undefined && chown !== '' ? { chown } : {}),
        ...(chmod !== undefined && chmod !== '' ? { chmod } : {}),
      };
    }
    case 'env':
    case 'label':
      noFlags();
      return { ...base, kind: n.cmd, pairs: pairs(n, escape) };
    case 'arg': {
      noFlags();
      needArgs(n, 'ARG requires exactly one argument');
      const args = splitRawWords(n.rest, escape).map((w) => {
        const eq = w.indexOf('=');
        return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
      });
      for (const a of args) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name)) throw parseError(n.startLine, `invalid ARG name ${JSON.stringify(a.name)}`);
      return { ...base, kind: 'arg', args };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      noFlags();
      needArgs(n, `${n.cmd.toUpperCase()} requires exactly one argument`);
      return { ...base, kind: n.cmd, value: n.rest };
    case 'expose':
    case 'volume': {
      noFlags();
      needArgs(n);
      const values = n.cmd === 'volume' ? (jsonArray(n.rest) ?? splitRawWords(n.rest, escape)) : splitRawWords(n.rest, escape);
      return { ...base, kind: n.cmd, values };
    }
    case 'healthcheck':
      return { ...base, kind: 'healthcheck', health: healthcheck(n) };
    case 'shell': {
      noFlags();
      const a = jsonArray(n.rest);
      if (!a || a.length === 0) throw parseError(n.startLine, 'SHELL requires the arguments to be in JSON form');
      return { ...base, kind: 'shell', shell: a };
    }
    case 'onbuild': {
      noFlags();
      needArgs(n, 'ONBUILD requires at least one argument');
      const inner = /^(\S+)/.exec(n.rest)?.[1]?.toLowerCase() ?? '';
      if (inner === 'onbuild') throw parseError(n.startLine, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner === 'from' || inner === 'maintainer') throw parseError(n.startLine, `${inner.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      // Parsed now so that a bad trigger fails this build, not a child's.
      const expression = n.rest + n.heredocs.map((h) => `\n${h.content}${h.name}`).join('');
      parseInstructions(expression, escape, n.startLine);
      return { ...base, kind: 'onbuild', expression };
    }
    default:
      throw parseError(n.startLine, `unknown instruction: ${n.cmd.toUpperCase()}`);
  }
}

/**
 * RUN's command with its here-documents, as BuildKit runs them: a lone `<<EOF` is the script itself
 * (a file executed directly when it starts with `#!`, else the shell's -c text); anything else
 * (`cat <<EOF > f`, several heredocs) goes to the shell with the documents after the line.
 */
function runCommand(n: Node): { cmd: CommandForm; script?: HeredocFile } {
  const cmd = commandForm(n.rest);
  if (cmd.json || n.heredocs.length === 0) return { cmd };
  const only = heredocWord(n.rest);
  const first = n.heredocs[0];
  if (only && first && n.heredocs.length === 1) {
    const data = heredocData(first);
    if (data.startsWith('#!')) return { cmd: { json: false, text: data }, script: { name: first.name, data, expand: false } };
    return { cmd: { json: false, text: data } };
  }
  return { cmd: { json: false, text: n.rest + n.heredocs.map((h) => `\n${h.content}${h.name}`).join('') } };
}

/** Parses free-standing instruction text (ONBUILD triggers); line numbers count from `line`. */
export function parseInstructions(text: string, escape = '\\', line = 1): Instruction[] {
  const p = parseDockerfile(`# escape=${escape}\n${text}`);
  return p.nodes.map((n) => toInstruction({ ...n, startLine: n.startLine - 2 + line, endLine: n.endLine - 2 + line }, escape));
}

/** Parses a Dockerfile into its meta ARGs and its stages. */
export function parseStages(text: string): Dockerfile {
  try {
    return stagesOf(parseDockerfile(text));
  } catch (e) {
    throw e instanceof DockerfileError && e.excerpt.length === 0 ? e.withText(text) : e;
  }
}

function stagesOf(parsed: ReturnType<typeof parseDockerfile>): Dockerfile {
  const metaArgs: Extract<Instruction, { kind: 'arg' }>[] = [];
  const stages: Stage[] = [];
  for (const n of parsed.nodes) {
    const ins = toInstruction(n, parsed.escape);
    if (ins.kind === 'from') {
      stages.push({ base: ins, instructions: [] });
      continue;
    }
    const cur = stages.at(-1);
    if (cur) cur.instructions.push(ins);
    else if (ins.kind === 'arg') metaArgs.push(ins);
    else throw parseError(n.startLine, `${n.cmd.toUpperCase()} before FROM: the first instruction must be FROM (only ARG may come before it)`);
  }
  if (stages.length === 0) throw new InvalidArgument('the Dockerfile (Dockerfile) cannot be empty');
  return { escape: parsed.escape, directives: parsed.directives, metaArgs, stages };
}

