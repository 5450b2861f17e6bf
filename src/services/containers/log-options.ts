import type { ContainerRecord } from '../../core/metadata/index.js';
import { DEFAULT_LOG_OPTS, logRotationFromOpts } from '../../core/runtime/index.js';
import type { LogRotation } from '../../core/runtime/index.js';

/**
 * A container's log options as Docker merges them at create: its own over the daemon's, and
 * berth's default cap (20m × 5, Docker's `local` driver) under both. Throws InvalidArgument on a
 * bad value, so create fails with 400.
 */
export function mergeLogOpts(daemon: Readonly<Record<string, string>> | undefined, own: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const merged = { ...DEFAULT_LOG_OPTS, ...daemon, ...own };
  logRotationFromOpts(merged);
  return merged;
}

/** The rotation a start gives conmon and berthd's watch (records older than log options get the defaults). */
export function logRotationOf(rec: ContainerRecord, daemon: Readonly<Record<string, string>> | undefined): LogRotation {
  return logRotationFromOpts({ ...DEFAULT_LOG_OPTS, ...daemon, ...rec.hostConfig.logOpts });
}
