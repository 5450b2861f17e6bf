import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgument, NotFound } from '../errdefs/index.js';
import { DEFAULT_SOCKET, resolveHost, type HostChoice } from './host.js';

/**
 * The docker CLI's context store, read and written as the docker CLI does so that both see the
 * same contexts: $DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json, and the current one in
 * config.json's currentContext ("default" when unset: the host from DOCKER_HOST or the default socket).
 */
export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [k: string]: unknown };
  Endpoints: { docker?: { Host?: string; SkipTLSVerify?: boolean; [k: string]: unknown }; [k: string]: unknown };
}

export const DEFAULT_CONTEXT = 'default';
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export function configDir(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CONFIG'] || join(homedir(), '.docker');
}

function metaDir(env: NodeJS.ProcessEnv, name: string): string {
  return join(configDir(env), 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
}

export function checkContextName(name: string): void {
  if (name === '') throw new InvalidArgument('context name cannot be empty');
  if (name === DEFAULT_CONTEXT) throw new InvalidArgument(`"${DEFAULT_CONTEXT}" is a reserved context name`);
  if (!NAME.test(name)) throw new InvalidArgument(`context name "${name}" is invalid, names are validated against regexp "${NAME.source}"`);
}

function readJson(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgument(`reading ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgument(`parsing ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode });
  renameSync(tmp, path);
}

/** Every stored context, sorted by name (the default one is not stored). */
export function listContexts(env: NodeJS.ProcessEnv): ContextMeta[] {
  const root = join(configDir(env), 'contexts', 'meta');
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return [];
  }
  const out: ContextMeta[] = [];
  for (const d of dirs) {
    const m = readJson(join(root, d, 'meta.json')) as ContextMeta | undefined;
    if (m && typeof m.Name === 'string') out.push({ Name: m.Name, Metadata: m.Metadata ?? {}, Endpoints: m.Endpoints ?? {} });
  }
  return out.sort((a, b) => a.Name.localeCompare(b.Name));
}

export function getContext(env: NodeJS.ProcessEnv, name: string): ContextMeta {
  if (name === DEFAULT_CONTEXT) return defaultContext(env);
  const m = readJson(join(metaDir(env, name), 'meta.json')) as ContextMeta | undefined;
  if (!m) throw new NotFound(`context "${name}" does not exist`);
  return { Name: m.Name, Metadata: m.Metadata ?? {}, Endpoints: m.Endpoints ?? {} };
}

export function contextExists(env: NodeJS.ProcessEnv, name: string): boolean {
  return name === DEFAULT_CONTEXT || existsSync(join(metaDir(env, name), 'meta.json'));
}

export function saveContext(env: NodeJS.ProcessEnv, meta: ContextMeta): void {
  writeJsonAtomic(join(metaDir(env, meta.Name), 'meta.json'), meta);
}

export function removeContext(env: NodeJS.ProcessEnv, name: string): void {
  if (!contextExists(env, name)) throw new NotFound(`context "${name}" does not exist`);
  rmSync(metaDir(env, name), { recursive: true, force: true });
  rmSync(join(configDir(env), 'contexts', 'tls', createHash('sha256').update(name).digest('hex')), { recursive: true, force: true });
}

export function metadataPath(env: NodeJS.ProcessEnv, name: string): string {
  return name === DEFAULT_CONTEXT ? '<IN MEMORY>' : metaDir(env, name);
}

export function tlsPath(env: NodeJS.ProcessEnv, name: string): string {
  return name === DEFAULT_CONTEXT ? '<IN MEMORY>' : join(configDir(env), 'contexts', 'tls', createHash('sha256').update(name).digest('hex'));
}

/** config.json's currentContext, "default" when unset. */
export function currentContextName(env: NodeJS.ProcessEnv): string {
  const cfg = readJson(join(configDir(env), 'config.json'));
  const c = cfg?.['currentContext'];
  return typeof c === 'string' && c !== '' ? c : DEFAULT_CONTEXT;
}

/** Writes currentContext into config.json, keeping its other keys; "default" removes it. */
export function setCurrentContext(env: NodeJS.ProcessEnv, name: string): void {
  const path = join(configDir(env), 'config.json');
  const cfg = readJson(path) ?? {};
  if (name === DEFAULT_CONTEXT) delete cfg['currentContext'];
  else cfg['currentContext'] = name;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** The default context: what DOCKER_HOST (or berth's own default) names. */
export function defaultContext(env: NodeJS.ProcessEnv): ContextMeta {
  const host = env['DOCKER_HOST'] || env['BERTH_HOST'] || `unix://${resolveHost(undefined, { ...env, BERTH_HOST: '', DOCKER_HOST: '' }).socketPath}`;
  return { Name: DEFAULT_CONTEXT, Metadata: { Description: 'Current DOCKER_HOST based configuration' }, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } };
}

/**
 * Which context a command uses, as the docker CLI decides: --context, then "default" when -H or
 * DOCKER_HOST (or BERTH_HOST) names a host, then DOCKER_CONTEXT, then config.json's currentContext.
 */
export function selectedContext(flags: { host?: string; context?: string }, env: NodeJS.ProcessEnv): string {
  if (flags.context) return flags.context;
  if (flags.host || env['DOCKER_HOST'] || env['BERTH_HOST']) return DEFAULT_CONTEXT;
  if (env['DOCKER_CONTEXT']) return env['DOCKER_CONTEXT'];
  return currentContextName(env);
}

/** The socket a command talks to: the chosen context's endpoint, else resolveHost's answer. */
export function resolveEndpoint(flags: { host?: string; context?: string }, env: NodeJS.ProcessEnv): HostChoice {
  if (flags.context && flags.host) throw new InvalidArgument('conflicting options: cannot specify both --host and --context');
  const name = selectedContext(flags, env);
  if (name === DEFAULT_CONTEXT) return resolveHost(flags.host, env);
  const meta = getContext(env, name);
  const host = meta.Endpoints.docker?.Host;
  if (!host) throw new InvalidArgument(`context "${name}" has no docker endpoint`);
  if (!host.startsWith('unix://')) throw new InvalidArgument(`context "${name}": unsupported host "${host}": only unix:// sockets are supported`);
  const socketPath = host.slice('unix://'.length);
  // berth starts berthd itself only on its own default socket.
  return { socketPath, autostart: socketPath === DEFAULT_SOCKET };
}
