import type { DeviceCgroupRule } from '../../services/index.js';
import { InvalidArgument } from '../../errdefs/index.js';

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/**
 * HostConfig.DeviceCgroupRules (`--device-cgroup-rule 'c 42:* rwm'`) in the kernel's devices.allow
 * syntax, checked as dockerd checks them (a lone `a` is refused there too) and with its message.
 */
export function parseDeviceCgroupRules(v: unknown): DeviceCgroupRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidArgument('HostConfig.DeviceCgroupRules must be a list of strings');
  return v.map((rule: unknown) => {
    const m = typeof rule === 'string' ? RULE.exec(rule) : null;
    if (!m) throw new InvalidArgument(`invalid device cgroup rule format: '${String(rule)}'`);
    const [, type, major, minor, access] = m as unknown as [string, 'a' | 'c' | 'b', string, string, string];
    const num = (x: string, what: string): number | undefined => {
      if (x === '*') return undefined;
      const n = Number(x);
      if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new InvalidArgument(`invalid ${what} value in device cgroup rule format: '${rule as string}'`);
      return n;
    };
    const maj = num(major, 'major');
    const min = num(minor, 'minor');
    return { type, ...(maj !== undefined ? { major: maj } : {}), ...(min !== undefined ? { minor: min } : {}), access };
  });
}
