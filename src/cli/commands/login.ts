import { InvalidArgument } from '../../errdefs/index.js';
import { configPath as configFile, readConfig, writeConfig } from '../config-file.js';
import type { CliContext } from '../context.js';

const HUB = 'https://index.docker.io/v1/';

function configPath(ctx: CliContext): string {
  return configFile(ctx.env);
}

/** The key config.json uses for a server: Docker Hub's legacy URL, else the host as given. */
function serverKey(server: string | undefined): string {
  if (!server) return HUB;
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? HUB : host;
}

/** The registry a repository name lives on (docker.io when its first part is no host). */
function registryOf(repo: string): string {
  const first = repo.split('/')[0] ?? '';
  return repo.includes('/') && (first === 'localhost' || /[.:]/.test(first)) ? first : 'docker.io';
}

/** The X-Registry-Auth header for a repository, from config.json auths (as the docker CLI sends it). */
export async function registryAuthHeader(ctx: CliContext, repo: string): Promise<string | undefined> {
  const key = serverKey(registryOf(repo));
  const entry = (await readConfig(configPath(ctx))).auths?.[key];
  if (!entry?.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  const json = { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

/** The X-Registry-Config header of a build: every stored login, keyed by server (as the docker CLI sends it). */
export async function registryConfigHeader(ctx: CliContext): Promise<string | undefined> {
  const auths = (await readConfig(configPath(ctx))).auths ?? {};
  const out: Record<string, { username: string; password: string; serveraddress: string }> = {};
  for (const [key, entry] of Object.entries(auths)) {
    if (!entry.auth) continue;
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    out[key] = { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
  }
  return Object.keys(out).length ? Buffer.from(JSON.stringify(out)).toString('base64url') : undefined;
}

async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `berth login [-u USER] [-p PASS | --password-stdin] [SERVER]`: checked by berthd, then stored. */
export async function login(ctx: CliContext, server: string | undefined, opts: { username?: string; password?: string; passwordStdin?: boolean }): Promise<number> {
  if (opts.password !== undefined && opts.passwordStdin) throw new InvalidArgument('--password and --password-stdin are mutually exclusive');
  const password = opts.passwordStdin ? await readStdin(ctx) : opts.password;
  if (!opts.username || !password) throw new InvalidArgument('Must provide --username with --password or --password-stdin (interactive login is not supported)');
  const key = serverKey(server);
  const api = await ctx.api();
  await api.client.json('POST', '/auth', { body: { username: opts.username, password, serveraddress: key } });
  const path = configPath(ctx);
  const cfg = await readConfig(path);
  cfg.auths = { ...cfg.auths, [key]: { auth: Buffer.from(`${opts.username}:${password}`).toString('base64') } };
  await writeConfig(path, cfg);
  ctx.out('Login Succeeded\n');
  return 0;
}

/** `berth logout [SERVER]`. */
export async function logout(ctx: CliContext, server: string | undefined): Promise<number> {
  const key = serverKey(server);
  const path = configPath(ctx);
  const cfg = await readConfig(path);
  if (!cfg.auths?.[key]) {
    ctx.out(`Not logged in to ${key}\n`);
    return 0;
  }
  ctx.out(`Removing login credentials for ${key}\n`);
  delete cfg.auths[key];
  await writeConfig(path, cfg);
  return 0;
}
