import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

/** One --secret as buildx reads it: id, and src (a file) or env (a variable); `type=` names which. */
export interface SecretSpec {
  id: string;
  file?: string;
  env?: string;
}

/**
 * `--secret id=x,src=FILE|env=VAR` (also `source=`, `type=file|env`). As buildx: with neither, a
 * variable named by the id is taken when set, else a file named by it.
 */
export function parseSecret(text: string): SecretSpec {
  let id = '';
  let type = '';
  let src = '';
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new InvalidArgument(`invalid --secret ${JSON.stringify(text)}: expected key=value fields (id=NAME,src=FILE or env=VAR)`);
    const k = field.slice(0, eq).trim().toLowerCase();
    const v = field.slice(eq + 1);
    if (k === 'id') id = v;
    else if (k === 'type') {
      if (v !== 'file' && v !== 'env') throw new InvalidArgument(`unsupported secret type ${JSON.stringify(v)}: use file or env`);
      type = v;
    } else if (k === 'src' || k === 'source') src = v;
    else if (k === 'env') {
      type = 'env';
      src = v;
    } else throw new InvalidArgument(`unexpected key ${JSON.stringify(k)} in --secret ${JSON.stringify(text)}`);
  }
  if (!id) throw new InvalidArgument(`invalid --secret ${JSON.stringify(text)}: id= is required`);
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new InvalidArgument(`invalid secret id ${JSON.stringify(id)}: use letters, digits, '.', '_' or '-'`);
  if (type === 'env') return { id, env: src || id };
  if (type === 'file' || src) return { id, file: src || id };
  return { id };
}

/** The secrets' values, read on the client (a missing file or variable is an error naming it). */
export async function readSecrets(specs: SecretSpec[], env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of specs) {
    let value: Buffer;
    if (s.env !== undefined) {
      const v = env[s.env];
      if (v === undefined) throw new InvalidArgument(`secret ${s.id}: the environment variable ${s.env} is not set`);
      value = Buffer.from(v);
    } else if (s.file === undefined && env[s.id] !== undefined) {
      value = Buffer.from(env[s.id] as string);
    } else {
      const file = s.file ?? s.id;
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) throw new InvalidArgument(`secret ${s.id}: no such file: ${file}`);
      value = await readFile(file);
    }
    out[s.id] = value.toString('base64');
  }
  return out;
}

/** The secrets as the X-Berth-Build-Secrets header carries them; Node's servers take headers up to 16 KB. */
export function secretsHeader(values: Record<string, string>): string | undefined {
  if (Object.keys(values).length === 0) return undefined;
  const h = Buffer.from(JSON.stringify(values)).toString('base64');
  if (h.length > 12 * 1024) throw new InvalidArgument('the build secrets are too large: berth sends up to about 8 KB of secrets with a build');
  return h;
}

/**
 * `--ssh default|id[=SOCKET]`: each id's agent socket, absolute (berthd, on this host, forwards it).
 * A bare id takes $SSH_AUTH_SOCK. Key files (id=KEYFILE) are refused: berth forwards agents only.
 */
export async function parseSsh(list: string[], env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const id = eq < 0 ? item : item.slice(0, eq);
    const given = eq < 0 ? '' : item.slice(eq + 1);
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new InvalidArgument(`invalid --ssh ${JSON.stringify(item)}: expected default or ID=SOCKET`);
    if (given.includes(',')) throw new InvalidArgument(`invalid --ssh ${JSON.stringify(item)}: berth forwards one agent socket per id`);
    const path = given || env['SSH_AUTH_SOCK'];
    if (!path) throw new InvalidArgument(`--ssh ${id}: no agent socket given and SSH_AUTH_SOCK is not set`);
    const st = await stat(path).catch(() => null);
    if (!st) throw new InvalidArgument(`--ssh ${id}: no such file: ${path}`);
    if (!st.isSocket()) throw new InvalidArgument(`--ssh ${id}: ${path} is not an SSH agent socket (berth forwards agents, not key files)`);
    out[id] = resolve(path);
  }
  return out;
}
