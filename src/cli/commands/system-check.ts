import type { CliContext } from '../context.js';

interface CheckAnswer {
  Faults: { Kind: string; Object: string; Message: string; Repaired: boolean }[];
  Checked: { Images: number; Blobs: number; Layers: number; Containers: number; Volumes: number; Mounts: number; NetworkNamespaces: number; Veths?: number; IptablesRules?: number; Cgroups?: number };
}

/**
 * `berth system check [--repair]`: what berthd found, a line per fault, then what it looked at.
 * Exits 1 while a fault is left unrepaired (a broken object a record names is never removed).
 */
export async function systemCheck(ctx: CliContext, opts: { repair?: boolean }): Promise<number> {
  const api = await ctx.api();
  const r = await api.client.json<CheckAnswer>('POST', `/system/check${opts.repair ? '?repair=1' : ''}`);
  for (const f of r.Faults) ctx.out(`${f.Repaired ? 'repaired' : 'fault'}: ${f.Message}\n`);
  const c = r.Checked;
  ctx.out(
    `checked ${c.Images} images, ${c.Blobs} blobs, ${c.Layers} layers, ${c.Containers} containers, ${c.Volumes} volumes, ${c.Mounts} mounts, ${c.NetworkNamespaces} network namespaces, ${c.Veths ?? 0} veths, ${c.IptablesRules ?? 0} iptables rules, ${c.Cgroups ?? 0} cgroups: `,
  );
  const left = r.Faults.filter((f) => !f.Repaired).length;
  const fixed = r.Faults.length - left;
  ctx.out(r.Faults.length === 0 ? 'no faults\n' : `${left} fault${left === 1 ? '' : 's'}${fixed ? `, ${fixed} repaired` : ''}\n`);
  return left > 0 ? 1 : 0;
}
