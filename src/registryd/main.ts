import { InvalidArgument } from '../errdefs/index.js';
import { parseOptions, usage } from './options.js';
import { runGc, startRegistry } from './registry.js';

/** berth-registry's entry point: `serve` until SIGTERM/SIGINT, or one `gc` pass. */
export async function main(argv: string[]): Promise<void> {
  let opts;
  try {
    opts = parseOptions(argv, process.env);
  } catch (e) {
    process.stderr.write(`berth registry: ${e instanceof InvalidArgument ? e.message : String(e)}\nSee 'berth registry --help'.\n`);
    process.exit(125);
  }
  if (opts === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (opts.command === 'gc') {
    const r = await runGc(opts);
    const verb = opts.dryRun ? 'would remove' : 'removed';
    const summary = opts.dryRun ? 'would be removed' : 'removed';
    for (const m of r.manifests) process.stdout.write(`${verb} manifest ${m.repo}@${m.digest}\n`);
    for (const l of r.links) process.stdout.write(`${verb} link ${l.repo}@${l.digest}\n`);
    for (const b of r.blobs) process.stdout.write(`${verb} blob ${b.digest} (${b.size} bytes)\n`);
    for (const u of r.uploads) process.stdout.write(`${verb} upload ${u}\n`);
    const bytes = r.blobs.reduce((n, b) => n + b.size, 0);
    process.stdout.write(`${r.manifests.length} manifests, ${r.links.length} links, ${r.blobs.length} blobs (${bytes} bytes), ${r.uploads.length} uploads ${summary}\n`);
    return;
  }
  const log = (line: string): void => void process.stderr.write(line + '\n');
  let reg;
  try {
    reg = await startRegistry(opts, log);
  } catch (e) {
    process.stderr.write(`berth registry: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  // Tests and scripts read the bound address (port 0 picks one) from this line.
  process.stdout.write(`listening on ${reg.host}:${reg.port}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    reg
      .stop()
      .catch((e: unknown) => log(String(e)))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
