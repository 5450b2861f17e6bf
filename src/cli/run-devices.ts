import { InvalidArgument } from '../errdefs/index.js';

/** The flags of `run`/`create` that choose the runtime and devices. */
export interface RuntimeDeviceFlags {
  runtime?: string;
  gpus?: string[];
  device?: string[];
}

/** A CDI device name (`vendor/class=name`), sent as a device request, not as a host path. */
const CDI_NAME = /^[A-Za-z](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\/[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?=[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

export function isCdiName(s: string): boolean {
  return CDI_NAME.test(s);
}

function gpuCount(v: string, value: string): number {
  if (v === 'all') return -1;
  if (!/^-?\d+$/.test(v)) throw new InvalidArgument(`invalid argument "${value}" for "--gpus" flag: strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** `--gpus all|N|device=1,2|driver=x|capabilities=a,b|count=N`, as the docker CLI reads it (opts.GpuOpts). */
export function parseGpus(value: string): Record<string, unknown> {
  const req: { Driver: string; Count: number; DeviceIDs: string[] | null; Capabilities: string[][] | null; Options: Record<string, string> } = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: {} };
  let counted = false;
  // A CSV record: "device=0,1" is quoted by the shell user as '"device=0,1"'.
  const fields = value.match(/("[^"]*"|[^,]+)/g)?.map((f) => f.replace(/^"|"$/g, '')) ?? [];
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      req.Count = gpuCount(field, value);
      counted = true;
      continue;
    }
    const key = field.slice(0, eq);
    const val = field.slice(eq + 1);
    if (key === 'driver') req.Driver = val;
    else if (key === 'count') {
      req.Count = gpuCount(val, value);
      counted = true;
    } else if (key === 'device') req.DeviceIDs = val.split(',');
    else if (key === 'capabilities') req.Capabilities = [[...val.split(','), 'gpu']];
    else if (key === 'options') {
      for (const kv of val.split(',')) req.Options[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    } else throw new InvalidArgument(`invalid argument "${value}" for "--gpus" flag: unexpected key '${key}' in '${field}'`);
  }
  if (!counted && req.DeviceIDs === null) req.Count = 1;
  req.Capabilities ??= [['gpu']];
  return req;
}

/**
 * --runtime into HostConfig.Runtime; --gpus and the CDI names among --device values into
 * HostConfig.DeviceRequests (Driver "cdi"), as the docker CLI 25+ sends them. Returns the --device
 * values that remain host paths.
 */
export function applyRuntimeDeviceFlags(flags: RuntimeDeviceFlags, hc: Record<string, unknown>): string[] {
  if (flags.runtime !== undefined && flags.runtime !== '') hc['Runtime'] = flags.runtime;
  const requests: Record<string, unknown>[] = (flags.gpus ?? []).map(parseGpus);
  const cdi = (flags.device ?? []).filter(isCdiName);
  if (cdi.length) requests.push({ Driver: 'cdi', Count: 0, DeviceIDs: cdi, Capabilities: null, Options: null });
  if (requests.length) hc['DeviceRequests'] = requests;
  return (flags.device ?? []).filter((d) => !isCdiName(d));
}
