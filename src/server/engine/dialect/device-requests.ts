import { InvalidArgument } from '../../../errdefs/index.js';
import type { DeviceRequest } from '../../../services/index.js';

/**
 * HostConfig.DeviceRequests: `--gpus` (Driver "" or "nvidia", Capabilities [["gpu"]], Count -1 for all)
 * and the docker CLI's form of `--device vendor/class=name` (Driver "cdi", the names in DeviceIDs).
 */
export function deviceRequestsFromHostConfig(hc: Record<string, unknown>): DeviceRequest[] {
  const list = hc['DeviceRequests'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new InvalidArgument('HostConfig.DeviceRequests must be a list');
  return list.map((d: unknown, i) => {
    const where = `HostConfig.DeviceRequests[${i}]`;
    if (!d || typeof d !== 'object') throw new InvalidArgument(`${where} must be an object`);
    const o = d as Record<string, unknown>;
    const driver = typeof o['Driver'] === 'string' ? o['Driver'] : '';
    const count = o['Count'] === undefined || o['Count'] === null ? 0 : o['Count'];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < -1) throw new InvalidArgument(`${where}.Count must be -1 (all) or a device count`);
    const ids = o['DeviceIDs'] ?? [];
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new InvalidArgument(`${where}.DeviceIDs must be a list of strings`);
    const caps = o['Capabilities'] ?? [];
    if (!Array.isArray(caps) || !caps.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))) throw new InvalidArgument(`${where}.Capabilities must be a list of lists of strings`);
    const opts = o['Options'] ?? {};
    if (typeof opts !== 'object' || Array.isArray(opts) || !Object.values(opts).every((x) => typeof x === 'string')) throw new InvalidArgument(`${where}.Options must be an object of strings`);
    if (driver === 'cdi' && ids.length === 0) throw new InvalidArgument(`${where}: a CDI request names its devices in DeviceIDs`);
    if (driver === 'cdi' && count !== 0) throw new InvalidArgument(`${where}: a CDI request names its devices; Count is not supported`);
    if (Object.keys(opts).length) throw new InvalidArgument(`${where}.Options ${JSON.stringify(opts)} is not supported by berth: device driver options are not implemented`);
    return { driver, count, deviceIds: ids, capabilities: caps, options: opts as Record<string, string> };
  });
}

/** Inspect's DeviceRequests, in dockerd's spelling (null lists where Go has nil slices). */
export function deviceRequestsToWire(list: readonly DeviceRequest[] | undefined): unknown[] | null {
  if (!list?.length) return null;
  return list.map((r) => ({
    Driver: r.driver,
    Count: r.count,
    DeviceIDs: r.deviceIds.length ? r.deviceIds : null,
    Capabilities: r.capabilities.length ? r.capabilities : null,
    Options: Object.keys(r.options).length ? r.options : null,
  }));
}
