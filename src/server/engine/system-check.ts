import { NotImplemented } from '../../errdefs/index.js';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';

/**
 * `POST /system/check?repair=1`: berth's own endpoint (Docker has none) behind `berth system check`.
 * The report in the API's PascalCase: Faults (Kind, Object, Message, Repaired) and Checked counts.
 */
export function systemCheckRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('POST', '/system/check', async (ctx) => {
    if (!deps.check) throw new NotImplemented('this berthd has no store check');
    const report = await deps.check({ repair: ctx.bool('repair'), signal: ctx.signal });
    const c = report.checked;
    ctx.sendJson(200, {
      Faults: report.faults.map((f) => ({ Kind: f.kind, Object: f.object, Message: f.message, Repaired: f.repaired })),
      Checked: { Images: c.images, Blobs: c.blobs, Layers: c.layers, Containers: c.containers, Volumes: c.volumes, Mounts: c.mounts, NetworkNamespaces: c.netns, Veths: c.veths, IptablesRules: c.rules, Cgroups: c.cgroups },
    });
  });
}
