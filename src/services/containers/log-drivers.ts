import { existsSync } from 'node:fs';
import { InvalidArgument } from '../../errdefs/index.js';
import { parseLogSize } from '../../core/runtime/index.js';
import type { JsonLogRotation } from '../../core/runtime/index.js';
import { checkLogTag } from './log-tag.js';
import { parseSyslogOptions } from './syslog.js';

/** The log drivers dockerd registers on Linux: a name outside them gets dockerd's "not registered". */
export const DOCKER_LOG_DRIVERS: ReadonlySet<string> = new Set(['none', 'local', 'json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs']);

/** The options each driver berth runs takes (Docker's ValidateLogOpt lists), besides mode and max-buffer-size. */
const DRIVER_OPTS: Readonly<Record<string, readonly string[]>> = {
  'json-file': ['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  local: ['max-size', 'max-file', 'compress'],
  'k8s-file': ['max-size', 'max-file'],
  syslog: ['syslog-address', 'syslog-facility', 'syslog-format', 'syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify', 'tag', 'labels', 'labels-regex', 'env', 'env-regex'],
  journald: ['tag', 'labels', 'labels-regex', 'env', 'env-regex'],
};

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** The drivers berth runs on this host, as `docker info` lists them (journald where the journal is). */
export function availableLogDrivers(): string[] {
  return ['json-file', 'local', 'syslog', ...(existsSync(JOURNAL_SOCKET) ? ['journald'] : []), 'k8s-file', 'none'];
}

/** Drivers `docker logs` reads back; the others give dockerd's 501. */
export function logDriverReadable(driver: string): boolean {
  return driver === 'json-file' || driver === 'local' || driver === 'k8s-file' || driver === 'journald';
}

/**
 * Checks a driver and its options as dockerd does at create (its words for an unknown driver or
 * option), and refuses what berth does not run, naming it.
 */
export function checkLogConfig(driver: string, opts: Readonly<Record<string, string>>): void {
  if (driver === 'none') return;
  const known = DRIVER_OPTS[driver];
  if (!known) {
    if (!DOCKER_LOG_DRIVERS.has(driver)) throw new InvalidArgument(`logger: no log driver named '${driver}' is registered`);
    throw new InvalidArgument(`logging driver ${driver} is not supported by berth (berth has json-file, local, syslog, journald, k8s-file and none)`);
  }
  for (const key of Object.keys(opts)) {
    if (key !== 'mode' && key !== 'max-buffer-size' && !known.includes(key)) throw new InvalidArgument(`unknown log opt '${key}' for ${driver} log driver`);
  }
  const mode = opts['mode'];
  if (mode !== undefined && mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidArgument(`logger: log mode '${mode}' is not supported: use blocking or non-blocking`);
  if (opts['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw new InvalidArgument("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    parseLogSize(opts['max-buffer-size']);
  }
  if (opts['tag'] !== undefined) checkLogTag(opts['tag']);
  for (const k of ['labels-regex', 'env-regex']) {
    const re = opts[k];
    if (re === undefined) continue;
    try {
      new RegExp(re);
    } catch {
      throw new InvalidArgument(`invalid log opt ${k}: '${re}' is not a regular expression`);
    }
  }
  if (driver === 'json-file' || driver === 'local' || driver === 'k8s-file') fileRotation(driver, opts);
  if (driver === 'syslog') parseSyslogOptions(opts);
  if (driver === 'journald' && !existsSync(JOURNAL_SOCKET)) throw new InvalidArgument(`logging driver journald needs the systemd journal, and this host has none (no ${JOURNAL_SOCKET})`);
}

/** The rotation of a json-file or local log: Docker's options over berth's default cap (20m × 5, Docker's local driver's). */
export function fileRotation(driver: string, opts: Readonly<Record<string, string>>): JsonLogRotation {
  const files = opts['max-file'] ?? '5';
  if (!/^-?\d+$/.test(files.trim())) throw new InvalidArgument(`invalid value for max-file: '${files}': not a whole number`);
  const maxFile = Number(files);
  if (maxFile < 1) throw new InvalidArgument('max-file cannot be less than 1');
  const compressRaw = opts['compress'] ?? (driver === 'local' ? 'true' : 'false');
  if (!['true', 'false', '1', '0'].includes(compressRaw)) throw new InvalidArgument(`invalid value for compress: '${compressRaw}': expected true or false`);
  const compress = compressRaw === 'true' || compressRaw === '1';
  if (compress && maxFile === 1 && opts['compress'] !== undefined) throw new InvalidArgument('compress cannot be true when max-file is less than 2');
  return { maxSize: parseLogSize(opts['max-size'] ?? '20m'), maxFile, compress: compress && maxFile > 1 };
}

/** mode=non-blocking: the bytes a driver may hold for a slow destination before it drops lines (Docker's default 1m). */
export function logBufferLimit(opts: Readonly<Record<string, string>>): number | null {
  if (opts['mode'] !== 'non-blocking') return null;
  return parseLogSize(opts['max-buffer-size'] ?? '1m');
}
