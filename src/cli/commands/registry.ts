import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * bin/berth-registry: beside the `berth` launcher that is running, else relative to this compiled
 * file (dist/src/cli/commands/ → bin/). The CLI never imports the registry server: it runs it.
 */
export function registryLauncher(): string {
  const bin = process.env['BERTH_BIN_DIR'];
  if (bin) return join(bin, 'berth-registry');
  const beside = process.argv[1] ? join(dirname(process.argv[1]), 'berth-registry') : '';
  if (beside && existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../../bin/berth-registry', import.meta.url));
}

/** `berth registry serve|gc …`: runs the registry with the arguments, passing signals and the exit code through. */
export function registry(args: string[]): Promise<number> {
  const launcher = registryLauncher();
  if (!existsSync(launcher)) {
    process.stderr.write(`berth registry: launcher not found at ${launcher}\n`);
    return Promise.resolve(127);
  }
  // The launcher's own shebang flags do not apply when node runs it by path: pass them here.
  const child = spawn(process.execPath, ['--max-semi-space-size=1', launcher, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', (e) => {
      process.stderr.write(`berth registry: ${e.message}\n`);
      resolve(126);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
