import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CredentialSource, Credentials } from './auth.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** The keys a host may be stored under in config.json (Docker Hub's legacy URL, with or without scheme). */
function keysFor(host: string): string[] {
  if (host === 'docker.io') return HUB_KEYS;
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

/** Runs `docker-credential-<helper> get` with the server address on stdin. */
function fromHelper(helper: string, server: string, signal?: AbortSignal): Promise<Credentials | undefined> {
  return new Promise((resolve) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], ...(signal ? { signal } : {}) });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      if (code !== 0) return resolve(undefined);
      try {
        const v = JSON.parse(out) as { Username?: string; Secret?: string };
        if (!v.Secret) return resolve(undefined);
        resolve(v.Username === '<token>' ? { identityToken: v.Secret } : { username: v.Username ?? '', password: v.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.end(server);
  });
}

/**
 * Credentials from a docker config.json (`auths`, `credsStore`, `credHelpers`), read at each lookup so
 * that a login written by another tool is seen at once.
 */
export function dockerConfigCredentials(configDir: string = process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker')): CredentialSource {
  return async (host) => {
    let cfg: DockerConfigFile;
    try {
      cfg = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as DockerConfigFile;
    } catch {
      return undefined;
    }
    const helper = cfg.credHelpers?.[host] ?? cfg.credsStore;
    if (helper) {
      const server = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
      const c = await fromHelper(helper, server);
      if (c) return c;
    }
    for (const k of keysFor(host)) {
      const e = cfg.auths?.[k];
      if (!e) continue;
      const c: Credentials = {};
      if (e.auth) {
        const plain = Buffer.from(e.auth, 'base64').toString('utf8');
        const i = plain.indexOf(':');
        c.username = plain.slice(0, i);
        c.password = plain.slice(i + 1);
      }
      if (e.username) c.username = e.username;
      if (e.password) c.password = e.password;
      if (e.identitytoken) c.identityToken = e.identitytoken;
      if (e.registrytoken) c.registryToken = e.registrytoken;
      if (Object.keys(c).length) return c;
    }
    return undefined;
  };
}
