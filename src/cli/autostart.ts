import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineApi } from '../api/index.js';
import { Unavailable } from '../errdefs/index.js';

function isNotListening(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/**
 * bin/berthd: beside the running launcher (bin/berth exports BERTH_BIN_DIR; the snapshot build has
 * no module URL), else relative to this compiled file (dist/src/cli/ → bin/).
 */
export function berthdLauncher(): string {
  const bin = process.env['BERTH_BIN_DIR'];
  if (bin) return path.join(bin, 'berthd');
  return fileURLToPath(new URL('../../../bin/berthd', import.meta.url));
}

/**
 * The Node options on the launcher's `#!/usr/bin/env -S node …` line: an autostarted berthd must run
 * with exactly the options bin/berthd gives itself (young-generation size, interrupt budget), so the
 * daemon users get is the one the benchmarks measure. The launcher is run by this process's own node.
 */
export function launcherNodeOptions(launcher: string): string[] {
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!\s*/, '').split(/\s+/).filter(Boolean);
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  return node < 0 ? [] : words.slice(node + 1);
}

/**
 * The environment berthd gets: the CLI's, with NODE_EXTRA_CA_CERTS given back when bin/berth set it
 * aside for the CLI's own start (berthd pulls from registries over TLS).
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const saved = env['BERTH_NODE_EXTRA_CA_CERTS'];
  if (saved === undefined) return env;
  const out = { ...env };
  delete out['BERTH_NODE_EXTRA_CA_CERTS'];
  if (saved !== '' && out['NODE_EXTRA_CA_CERTS'] === undefined) out['NODE_EXTRA_CA_CERTS'] = saved;
  return out;
}

function cannotConnect(socketPath: string, extra = ''): Unavailable {
  return new Unavailable(`Cannot connect to the berth daemon at unix://${socketPath}. Is berthd running?${extra}`);
}

/**
 * Pings the daemon; when nothing listens and berth may start its own daemon, starts berthd detached
 * (logging beside the socket) and waits up to `timeoutMs` for `/_ping`.
 */
export async function ensureDaemon(api: EngineApi, socketPath: string, autostart: boolean, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<void> {
  try {
    await api.ping();
    return;
  } catch (e) {
    if (!isNotListening(e)) throw e;
    if (!autostart) throw cannotConnect(socketPath);
  }
  const dir = path.dirname(socketPath);
  mkdirSync(dir, { recursive: true });
  const logPath = path.join(dir, 'berthd.log');
  const args = [berthdLauncher(), '-H', `unix://${socketPath}`];
  if (env['BERTH_DATA_ROOT']) args.push('--data-root', env['BERTH_DATA_ROOT']);
  if (env['BERTH_EXEC_ROOT']) args.push('--exec-root', env['BERTH_EXEC_ROOT']);
  if (!existsSync(args[0] ?? '')) throw cannotConnect(socketPath, ` (berthd launcher not found at ${args[0] ?? ''})`);
  const log = openSync(logPath, 'a');
  let exited: number | null | undefined;
  try {
    const child = spawn(process.execPath, [...launcherNodeOptions(args[0] ?? ''), ...args], { detached: true, stdio: ['ignore', log, log], env: daemonEnv(env) });
    // A daemon that dies at start-up must fail the command now, not after the whole timeout.
    child.on('exit', (code) => { exited = code; });
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Unavailable(`berthd exited with code ${String(exited)} before answering on unix://${socketPath} (see ${logPath}).`);
    await new Promise((r) => setTimeout(r, 50));
    try {
      await api.ping(AbortSignal.timeout(1000));
      return;
    } catch (e) {
      last = e;
    }
  }
  throw new Unavailable(`berthd did not answer on unix://${socketPath} within ${timeoutMs / 1000}s (see ${logPath}).`, { cause: last });
}
