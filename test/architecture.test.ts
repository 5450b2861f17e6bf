import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './helpers/daemon.js';

/*
 * The dependency direction of ARCHITECTURE.md, enforced by dependency-cruiser with the rules in
 * .dependency-cruiser.cjs: on berth's own tree (no violation), and on a small tree of wrong imports
 * (each one caught), so that a rule that stopped matching would fail here too.
 */
const execFileP = promisify(execFile);
const DEPCRUISE = join(REPO, 'node_modules/.bin/depcruise');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function cruise(cwd: string): Promise<Violation[]> {
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way.
  const r = await execFileP(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 256 * 1024 * 1024 }).catch(
    (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
  const report = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

test("berth's imports follow the architecture (dependency-cruiser)", async () => {
  const found = await cruise(REPO);
  assert.deepEqual(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
});

test('the architecture rules catch wrong-way imports, deep imports, misplaced packages and unresolvable paths', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-arch-'));
  try {
    const files: Record<string, string> = {
      'src/core/content/index.ts': "export { store } from './store.js';\n",
      'src/core/content/store.ts': 'export const store = 1;\n',
      'src/core/runtime/index.ts': "import type koffi from 'koffi';\nexport type K = typeof koffi;\n",
      'src/services/build/index.ts': 'export const build = 1;\n',
      'src/services/images/index.ts': "import { build } from '../build/index.js';\nexport const images = build;\n",
      'src/cli/main.ts': "import { store } from '../core/content/store.js';\nimport { x } from '../api/missing.js';\nexport const y = [store, x];\n",
      'src/api/index.ts': 'export const api = 1;\n',
      'src/stray/index.ts': "import { api } from '../api/index.js';\nexport const stray = api;\n",
      'src/server/engine/index.ts': 'export const engine = 1;\n',
      'src/server/cri/index.ts': "import { engine } from '../engine/index.js';\nexport const cri = engine;\n",
      'src/server/http/index.ts': "import type { Server } from '@grpc/grpc-js';\nexport type S = Server;\n",
    };
    for (const [p, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), text);
    }
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true }, include: ['src'] }));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module', dependencies: { koffi: '*', '@grpc/grpc-js': '*' } }));
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    const found = new Set((await cruise(dir)).map((v) => `${v.rule.name}: ${v.from}`));
    for (const want of [
      'cli-imports: src/cli/main.ts',
      'core/content-through-index: src/cli/main.ts',
      'no-unresolvable: src/cli/main.ts',
      'koffi-only-in-sys: src/core/runtime/index.ts',
      'services/images-imports: src/services/images/index.ts',
      'not-in-architecture: src/stray/index.ts',
      'server/cri-imports: src/server/cri/index.ts',
      '@grpc/grpc-js-only-in-server/cri: src/server/http/index.ts',
    ]) {
      assert.ok(found.has(want), `expected ${want}; found ${[...found].join('; ')}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
