import { InvalidArgument } from '../errdefs/index.js';
import type { Digest } from '../util/index.js';

/**
 * An image reference normalized as Docker does: `busybox` is
 * {domain: 'docker.io', path: 'library/busybox', tag: 'latest'} (tag only with defaultTag).
 */
export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: Digest;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_MAX = 255;

// The grammar of github.com/distribution/reference (regexp.go), transcribed.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const domainAndPort = `(?:${domainName}|${ipv6address})(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${tagPat}$`);

/** Docker's error for anything that does not parse; `docker` prints exactly this. */
const invalidFormat = (): InvalidArgument => new InvalidArgument('invalid reference format');

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (slash === -1) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    const maybeDomain = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (maybeDomain === 'localhost' || /[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
      domain = maybeDomain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : maybeDomain;
      remainder = rest;
    } else {
      domain = DEFAULT_DOMAIN;
      remainder = name;
    }
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

function parseDigestPart(s: string): Digest {
  const colon = s.indexOf(':');
  const alg = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  if (alg !== 'sha256') throw new InvalidArgument('invalid reference format: unsupported digest algorithm');
  if (!/^[a-f0-9]{64}$/.test(hex)) throw new InvalidArgument('invalid reference format: invalid checksum digest length');
  return `sha256:${hex}`;
}

/**
 * Parses a reference the way the docker CLI and daemon do (ParseNormalizedNamed): a missing domain is
 * docker.io, a single-component name on docker.io gets `library/`, `index.docker.io` becomes docker.io.
 * With `defaultTag`, a reference with neither tag nor digest gets `latest`.
 */
export function parseReference(s: string, opts: { defaultTag?: boolean } = {}): Reference {
  if (ANCHORED_ID_RE.test(s)) {
    throw new InvalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (s === '') throw invalidFormat();
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep === -1 ? remainder : remainder.slice(0, tagSep);
  if (remote.toLowerCase() !== remote) {
    throw new InvalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) throw invalidFormat();
  const name = m[1] ?? '';
  if (name.length > NAME_MAX) throw new InvalidArgument(`invalid reference format: repository name must not be more than ${NAME_MAX} characters`);
  const ref: Reference = { domain, path: name.slice(domain.length + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = parseDigestPart(m[3]);
  if (opts.defaultTag && ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** Whether `s` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** The repository name without tag or digest: docker.io/library/busybox. */
export function repositoryName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The full, canonical string: docker.io/library/busybox:latest, or …@sha256:… */
export function formatReference(r: Reference): string {
  return repositoryName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** The short name Docker shows: busybox, user/repo, localhost:5000/x. */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return repositoryName(r);
  if (r.path.startsWith(OFFICIAL_REPO_PREFIX) && !r.path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return r.path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return r.path;
}

/** What Docker prints: busybox:latest, or busybox@sha256:…, or both. */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Normalizes a user's reference string to the full form used as a key (adds `latest` when untagged). */
export function normalizeReference(s: string): string {
  return formatReference(parseReference(s, { defaultTag: true }));
}
