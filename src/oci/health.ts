import type { HealthConfig } from './types.js';

/** An image config's healthcheck in camelCase (durations in nanoseconds; absent: not set by the image). */
export interface ImageHealth {
  test?: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

/**
 * An image config's Healthcheck (Docker's extension of the OCI image config) out of the format's
 * own keys, so that nothing above this package reads them.
 */
export function imageHealth(h: HealthConfig | null | undefined): ImageHealth | undefined {
  if (!h) return undefined;
  const out: ImageHealth = {};
  if (h.Test !== undefined) out.test = h.Test;
  if (h.Interval !== undefined) out.intervalNs = h.Interval;
  if (h.Timeout !== undefined) out.timeoutNs = h.Timeout;
  if (h.StartPeriod !== undefined) out.startPeriodNs = h.StartPeriod;
  if (h.StartInterval !== undefined) out.startIntervalNs = h.StartInterval;
  if (h.Retries !== undefined) out.retries = h.Retries;
  return out;
}
