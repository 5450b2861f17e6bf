import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH_REGISTRY, registryCommand } from './registry-servers.js';

/** Runs bin/berth-registry against `dist` and returns what it printed. */
function launch(dist: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BERTH_REGISTRY, 'gc', '--root', '/nonexistent'], { env: { ...process.env, BERTH_NO_BUNDLE: '', ...env, BERTH_DIST: dist } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout),
    );
  });
}

// A dist/ whose bundle and modules only say which of them ran, with the bundle's and the tsc build's times set.
async function fixtureDist(opts: { bundleAge: number | null; buildAge: number }): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), 'berth-launcher-'));
  await mkdir(join(dist, 'src/registryd'), { recursive: true });
  await writeFile(join(dist, 'package.json'), '{"type":"module"}');
  await writeFile(join(dist, 'src/registryd/main.js'), "export function main(args) { process.stdout.write('modules ' + args.join(' ')); }\n");
  const now = Date.now() / 1000;
  await writeFile(join(dist, '.tsbuildinfo'), '{}');
  await utimes(join(dist, '.tsbuildinfo'), now - opts.buildAge, now - opts.buildAge);
  if (opts.bundleAge !== null) {
    await writeFile(join(dist, 'berth-registry.cjs'), "exports.main = (args) => process.stdout.write('bundle ' + args.join(' '));\n");
    await utimes(join(dist, 'berth-registry.cjs'), now - opts.bundleAge, now - opts.bundleAge);
  }
  return dist;
}

test('bin/berth-registry runs the bundle only while it is newer than the last tsc build, else the modules', async () => {
  const cases = [
    { name: 'bundle built after tsc', bundleAge: 10, buildAge: 20, env: {}, ran: 'bundle' },
    { name: 'tsc ran after the bundle was built (stale bundle)', bundleAge: 20, buildAge: 10, env: {}, ran: 'modules' },
    { name: 'no bundle', bundleAge: null, buildAge: 10, env: {}, ran: 'modules' },
    { name: 'BERTH_NO_BUNDLE=1', bundleAge: 10, buildAge: 20, env: { BERTH_NO_BUNDLE: '1' }, ran: 'modules' },
  ];
  for (const c of cases) {
    const dist = await fixtureDist(c);
    try {
      assert.equal(await launch(dist, c.env), `${c.ran} gc --root /nonexistent`, c.name);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  }
});

test('the registry answers the same from the bundle and from the modules (bad input: same message and exit code)', async () => {
  const a = await registryCommand(['serve', '--addr', 'nonsense']);
  process.env['BERTH_NO_BUNDLE'] = '1';
  let b;
  try {
    b = await registryCommand(['serve', '--addr', 'nonsense']);
  } finally {
    delete process.env['BERTH_NO_BUNDLE'];
  }
  assert.equal(a.code, 125);
  assert.match(a.stderr, /^berth registry: .*nonsense/);
  assert.deepEqual(b, a);
});
