import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { REPO } from './helpers/daemon.js';

/**
 * The dependency direction of ARCHITECTURE.md, enforced: each module may import only the modules
 * listed for it (and itself), and only through their index.ts.
 */
const ALLOWED: Record<string, string[]> = {
  errdefs: [],
  util: ['errdefs'],
  oci: ['util', 'errdefs'],
  sys: ['util', 'errdefs'],
  'core/content': ['oci', 'util', 'errdefs'],
  'core/snapshots': ['sys', 'util', 'errdefs'],
  'core/diff': ['core/content', 'core/snapshots', 'sys', 'oci', 'util', 'errdefs'],
  'core/metadata': ['core/content', 'core/snapshots', 'oci', 'util', 'errdefs'],
  'core/images': ['core/content', 'core/diff', 'core/snapshots', 'core/metadata', 'oci', 'util', 'errdefs'],
  'core/remotes': ['core/content', 'oci', 'util', 'errdefs'],
  'core/runtime': ['sys', 'core/snapshots', 'util', 'errdefs'],
  'core/volumes': ['sys', 'util', 'errdefs'],
  'core/network': ['sys', 'util', 'errdefs'],
  'core/dockerfile': ['oci', 'util', 'errdefs'],
  'core/events': ['util', 'errdefs'],
  services: ['core/content', 'core/snapshots', 'core/diff', 'core/metadata', 'core/images', 'core/remotes', 'core/runtime', 'core/volumes', 'core/network', 'core/dockerfile', 'core/events', 'oci', 'sys', 'util', 'errdefs'],
  api: ['oci', 'util', 'errdefs'],
  'server/http': ['util', 'errdefs'],
  'server/engine': ['services', 'api', 'server/http', 'oci', 'util', 'errdefs'],
  'server/registry': ['core/content', 'core/metadata', 'server/http', 'oci', 'util', 'errdefs'],
  daemon: ['*'],
  registryd: ['*'],
  cli: ['api', 'oci', 'util', 'errdefs'],
};

function moduleOf(file: string): string {
  const rel = relative(join(REPO, 'src'), file);
  const parts = rel.split('/');
  if ((parts[0] === 'core' || parts[0] === 'server') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts.length > 1 ? (parts[0] as string) : '.';
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield p;
  }
}

test('imports follow the architecture: arrows point down, through index.ts only', () => {
  const problems: string[] = [];
  for (const file of tsFiles(join(REPO, 'src'))) {
    const from = moduleOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      const target = resolve(dirname(file), spec);
      const to = moduleOf(target);
      if (to === from) continue;
      const allowed = ALLOWED[from];
      if (!allowed) {
        problems.push(`${relative(REPO, file)}: module ${from} is not in the architecture`);
        continue;
      }
      if (!allowed.includes('*') && !allowed.includes(to)) problems.push(`${relative(REPO, file)}: ${from} must not import ${to} (${spec})`);
      const inner = relative(join(REPO, 'src', to), target);
      if (!allowed.includes('*') && !/^([\w-]+\/)?index\.js$/.test(inner)) problems.push(`${relative(REPO, file)}: deep import into ${to} (${spec}); use its index.ts`);
    }
  }
  assert.deepEqual(problems, []);
});
