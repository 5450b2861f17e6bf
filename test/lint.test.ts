import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO } from './helpers/daemon.js';

/*
 * eslint with typescript-eslint's recommended rules (eslint.config.js): berth's tree has no finding,
 * and a small tree of known faults is caught, so that a config that stopped matching fails here too.
 */
async function findings(cwd: string, patterns: string[]): Promise<string[]> {
  const eslint = new ESLint({ cwd, overrideConfigFile: join(cwd, 'eslint.config.js') });
  const results = await eslint.lintFiles(patterns);
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(cwd.length + 1)}:${m.line} ${m.ruleId ?? 'parse'}: ${m.message}`));
}

test("berth's code passes eslint (typescript-eslint recommended, and no floating promises in src/)", async () => {
  assert.deepEqual(await findings(REPO, ['src', 'test']), []);
});

test("the lint rules catch a lost promise, an unused name, an explicit any and a front end reaching into a service's parts", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lint-'));
  try {
    await cp(join(REPO, 'eslint.config.js'), join(dir, 'eslint.config.js'));
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'ES2022', types: [] }, include: ['src/**/*.ts'] }));
    await mkdir(join(dir, 'src'));
    await writeFile(
      join(dir, 'src', 'wrong.ts'),
      ['async function save(): Promise<void> {}', 'export function run(x: any): void {', '  const unused = 1;', '  save();', '  void x;', '}', ''].join('\n'),
    );
    // A front end that reaches into a service's parts instead of calling an operation.
    await mkdir(join(dir, 'src', 'server', 'cri'), { recursive: true });
    await writeFile(join(dir, 'src', 'server', 'cri', 'reach.ts'), 'export function logs(svc: { deps: { runtime: string } }): string {\n  return svc.deps.runtime;\n}\n');
    const found = await findings(dir, ['src']);
    const rules = found.map((f) => f.replace(/^.*? ([@\w/-]+): .*$/, '$1')).sort();
    assert.deepEqual(rules, ['@typescript-eslint/no-explicit-any', '@typescript-eslint/no-floating-promises', '@typescript-eslint/no-unused-vars', 'no-restricted-syntax'], found.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
