import type { HealthConfig } from './types.js';

/**
 * A healthcheck in camelCase: a command run in the container at an interval (durations in
 * nanoseconds; absent or 0: the default). Fields absent were not set (by the image, or the request).
 * The container spec keeps one of these (core/metadata HealthSpec).
 */
export interface ImageHealth {
  /** ['NONE'] (no check), ['CMD', argv…], ['CMD-SHELL', command line]; absent: none set. */
  test?: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  /** How often it runs during the start period. */
  startIntervalNs?: number;
  /** Failures in a row that make it unhealthy. */
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
