import { InvalidArgument } from '../../errdefs/index.js';

/** The OCI runtimes berthd offers (daemon.json `runtimes`, --add-runtime, default-runtime), as probed at its start. */
export interface PodRuntimes {
  readonly defaultName: string;
  get(name: string): { unavailable?: string | undefined } | undefined;
  list(): { name: string }[];
}

/**
 * The runtime a pod's containers run with, for its RunPodSandbox runtime_handler: as containerd maps
 * handlers to its runtime table, a handler names one of berthd's runtimes, '' the default one.
 * Without a catalog (tests without a daemon) only runc is known.
 */
export function runtimeForHandler(handler: string, runtimes: PodRuntimes | undefined): string {
  const name = handler === '' ? (runtimes?.defaultName ?? 'runc') : handler;
  const known = runtimes ? runtimes.list().map((r) => r.name) : ['runc'];
  if (!known.includes(name)) {
    throw new InvalidArgument(`failed to get sandbox runtime: no runtime for ${JSON.stringify(handler)} is configured (berthd's runtimes: ${known.join(', ')}; add one with daemon.json "runtimes" or --add-runtime)`);
  }
  const why = runtimes?.get(name)?.unavailable;
  if (why !== undefined) throw new InvalidArgument(`failed to get sandbox runtime: runtime ${JSON.stringify(name)} cannot run containers on this host: ${why}`);
  return name;
}
