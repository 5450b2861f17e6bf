import type { ContainerRecord } from '../../core/metadata/index.js';
import { DEFAULT_LOG_OPTS, logRotationFromOpts } from '../../core/runtime/index.js';
import type { LogRotation } from '../../core/runtime/index.js';

/** The daemon's default log driver: its log options go into the containers that use it, as dockerd does. */
const DAEMON_LOG_DRIVER = 'json-file';

/**
 * The log options a new container keeps, as dockerd merges them at create: its own, over the
 * daemon's when it uses the daemon's driver. berth's default cap (20m × 5, Docker's `local` driver)
 * is not written in: it applies at use (logRotationOf), so inspect shows what was asked for.
 * Throws InvalidArgument on a bad value, so create fails with 400; `none` takes any (dockerd checks none).
 */
export function createLogOpts(type: string, daemon: Readonly<Record<string, string>> | undefined, own: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (type === 'none') return { ...own };
  const kept = type === DAEMON_LOG_DRIVER ? { ...daemon, ...own } : { ...own };
  logRotationFromOpts({ ...DEFAULT_LOG_OPTS, ...daemon, ...kept });
  return kept;
}

/**
 * `none` keeps no log for `docker logs`; the file stays, held to one small file, because attach
 * streams a container's output through it.
 */
const NONE_ROTATION: LogRotation = { maxSize: 1 << 20, maxFile: 1 };

/**
 * The rotation a start gives conmon and berthd's watch: berth's default under the daemon's options
 * under the container's. Records written before this kept the defaults merged in, which gives the same.
 */
export function logRotationOf(rec: ContainerRecord, daemon: Readonly<Record<string, string>> | undefined): LogRotation {
  if (rec.spec.logging.driver === 'none') return NONE_ROTATION;
  return logRotationFromOpts({ ...DEFAULT_LOG_OPTS, ...daemon, ...rec.spec.logging.options });
}
