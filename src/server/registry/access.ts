import type { Access, Action } from './auth.js';

/**
 * One access rule: `user` (an htpasswd name, or `*` for any authenticated user) may do `actions` on
 * the repositories `repos` matches (a glob where `*` matches any run of characters, `/` included).
 */
export interface AccessRule {
  user: string;
  repos: string;
  actions: Action[];
}

const ALL: readonly Action[] = ['pull', 'push', 'delete'];

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/**
 * Per-user rights for htpasswd users. Rules add up: a user may do what any rule naming them (or `*`)
 * grants on a repository. No rules at all keeps the old behaviour: every authenticated user may do
 * everything. The catalog (`registry:catalog:*`) belongs to users who may pull every repository
 * (a rule with `repos: "*"`), since it lists them all.
 */
export class AccessRules {
  readonly #rules: { user: string; repos: string; re: RegExp; actions: ReadonlySet<Action> }[];

  constructor(rules: readonly AccessRule[]) {
    this.#rules = rules.map((r) => ({ user: r.user, repos: r.repos, re: globToRegExp(r.repos), actions: new Set(r.actions.includes('*') ? ALL : r.actions) }));
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** The part of `want.actions` that `user` may do. */
  granted(user: string, want: Access): Action[] {
    if (this.#rules.length === 0) return [...want.actions];
    const mine = this.#rules.filter((r) => r.user === user || r.user === '*');
    if (want.type === 'registry') {
      const all = want.name === 'catalog' && mine.some((r) => r.repos === '*' && r.actions.has('pull'));
      return all ? [...want.actions] : [];
    }
    const have = new Set<Action>();
    for (const r of mine) if (r.re.test(want.name)) for (const a of r.actions) have.add(a);
    return want.actions.filter((a) => (a === '*' ? ALL.every((x) => have.has(x)) : have.has(a)));
  }

  /** Does `user` have every action of every item of `needed`? */
  allows(user: string, needed: readonly Access[]): boolean {
    return needed.every((n) => this.granted(user, n).length === n.actions.length);
  }
}
