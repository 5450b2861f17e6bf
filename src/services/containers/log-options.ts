import type { ContainerRecord } from '../../core/metadata/index.js';
import { DEFAULT_LOG_OPTS, logRotationFromOpts } from '../../core/runtime/index.js';
import type { LogRotation } from '../../core/runtime/index.js';
import { checkLogConfig } from './log-drivers.js';

/** The daemon's log driver when daemon.json and --log-driver name none: Docker's. */
export const DEFAULT_LOG_DRIVER = 'json-file';

/**
 * The driver and options a new container keeps, as dockerd merges them at create: no driver asked
 * for is the daemon's; the daemon's options go into the containers that use the daemon's driver.
 * berth's default cap (20m × 5, Docker's `local` driver) is not written in: it applies at use, so
 * inspect shows what was asked for. Throws on an unknown driver or a bad option, so create fails
 * with 400; `none` takes any (dockerd checks none).
 */
export function createLogOpts(type: string, daemon: Readonly<Record<string, string>> | undefined, own: Readonly<Record<string, string>> | undefined, daemonDriver = DEFAULT_LOG_DRIVER): Record<string, string> {
  const driver = type || daemonDriver;
  if (driver === 'none') return { ...own };
  const kept = driver === daemonDriver ? { ...daemon, ...own } : { ...own };
  checkLogConfig(driver, kept);
  return kept;
}

/**
 * conmon's own log, when a driver other than k8s-file keeps the container's log: only attach and
 * berthd's forwarding read it, so it stays small (two files of 4 MiB: room for berthd to lag).
 */
const CONMON_ROTATION: LogRotation = { maxSize: 4 << 20, maxFile: 2 };
/** `none` keeps no log for `docker logs`; conmon's file stays, held to one small file, for attach. */
const NONE_ROTATION: LogRotation = { maxSize: 1 << 20, maxFile: 1 };

/**
 * The rotation a start gives conmon and berthd's watch: for k8s-file (conmon's log is the
 * container's log) berth's default under the daemon's options under the container's.
 */
export function logRotationOf(rec: ContainerRecord, daemon: Readonly<Record<string, string>> | undefined, daemonDriver = DEFAULT_LOG_DRIVER): LogRotation {
  const driver = rec.spec.logging.driver;
  if (driver === 'none') return NONE_ROTATION;
  if (driver !== 'k8s-file') return CONMON_ROTATION;
  const own = rec.spec.logging.options ?? {};
  const merged = daemonDriver === 'k8s-file' ? { ...daemon, ...own } : own;
  const pick = (o: Readonly<Record<string, string>>): Record<string, string> => Object.fromEntries(Object.entries(o).filter(([k]) => k === 'max-size' || k === 'max-file'));
  return logRotationFromOpts({ ...DEFAULT_LOG_OPTS, ...pick(merged) });
}
