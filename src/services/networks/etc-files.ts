import { readFile } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';

const LOCALHOST = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;

/**
 * /etc/hosts as Docker writes it: localhost lines, --add-host entries ("host-gateway" is the
 * network's gateway), the legacy links (`IP alias hostname name`), then the container's own address
 * and hostname.
 */
export function hostsFile(opts: { hostname: string; domainname?: string; ip?: string; ip6?: string; extraHosts: string[]; gateway?: string; links?: { ip: string; names: string }[] }): string {
  let text = LOCALHOST;
  for (const h of opts.extraHosts) {
    const i = h.search(/[:=]/);
    if (i <= 0) throw new InvalidArgument(`invalid IP address in add-host: "${h}"`);
    let ip = h.slice(i + 1);
    if (ip === 'host-gateway') {
      if (!opts.gateway) throw new InvalidArgument('host-gateway needs a bridge network (the gateway is the host)');
      ip = opts.gateway;
    }
    text += `${ip}\t${h.slice(0, i)}\n`;
  }
  for (const l of opts.links ?? []) text += `${l.ip}\t${l.names}\n`;
  const names = `${opts.domainname ? `${opts.hostname}.${opts.domainname} ` : ''}${opts.hostname}`;
  if (opts.ip) text += `${opts.ip}\t${names}\n`;
  if (opts.ip6) text += `${opts.ip6}\t${names}\n`;
  return text;
}

/**
 * /etc/resolv.conf as Docker makes it: --dns/--dns-search/--dns-option replace the host's lines;
 * otherwise the host's file, with loopback nameservers removed (unreachable from a container), or,
 * on a user-defined network, the embedded resolver (here the network's gateway) as the nameserver.
 */
export async function resolvConf(spec: { servers: string[]; search: string[]; options: string[] }, embedded: string | undefined, hostPath = '/etc/resolv.conf'): Promise<string> {
  const host = await readFile(hostPath, 'utf8').catch(() => '');
  const { servers: dns, search, options } = spec;
  for (const ip of dns) if (!/^[0-9a-fA-F.:]+$/.test(ip)) throw new InvalidArgument(`${ip} is not an ip address`);
  const hostLines = host.split('\n');
  const keep = (kw: string): string[] => hostLines.filter((l) => l.trim().startsWith(`${kw} `) || l.trim().startsWith(`${kw}\t`));
  const nameservers = dns.length ? dns.map((d) => `nameserver ${d}`) : embedded ? [`nameserver ${embedded}`] : keep('nameserver').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  const searchLines = search.length ? [`search ${search.join(' ')}`] : keep('search').concat(keep('domain'));
  const optionLines = options.length ? [`options ${options.join(' ')}`] : keep('options');
  return [...nameservers, ...searchLines, ...optionLines].join('\n') + '\n';
}
