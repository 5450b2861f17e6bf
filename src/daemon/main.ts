import { InvalidArgument } from '../errdefs/index.js';
import { loadOptions, usage } from './options.js';
import { startDaemon } from './daemon.js';
import { createLogger } from './logger.js';

export const VERSION = '0.1.0';

/** berthd's entry point: flags, start, and a clean exit on SIGTERM/SIGINT (containers keep running). */
export async function main(argv: string[]): Promise<void> {
  let opts;
  try {
    opts = await loadOptions(argv, process.env);
  } catch (e) {
    process.stderr.write(`berthd: ${e instanceof InvalidArgument ? e.message : String(e)}\nSee 'berthd --help'.\n`);
    process.exit(125);
  }
  if (opts === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (opts === 'version') {
    process.stdout.write(`berthd version ${VERSION}\n`);
    return;
  }
  const log = createLogger(opts.logLevel);
  let daemon;
  try {
    daemon = await startDaemon(opts, log, VERSION);
  } catch (e) {
    // A configuration the daemon cannot run with (e.g. --userns-remap without ranges): one clear line.
    if (e instanceof InvalidArgument) process.stderr.write(`berthd: ${e.message}\n`);
    else log.error('failed to start daemon', e);
    process.exit(1);
  }
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${sig}, shutting down (containers keep running)`);
    daemon
      .stop()
      .catch((e: unknown) => log.error('shutdown failed', e))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
