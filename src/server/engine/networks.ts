import { parseLink } from './dialect/index.js';
import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { pruneKeep, type ContainerNetworking, type NetworkService } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { bool, jsonBody, obj, parseFilters, str, strList, strMap } from './request.js';
import { param, parseUntil } from './containers.js';
import { networkWire } from './network-convert.js';

/** The network endpoints: list, inspect, create, remove, prune, connect, disconnect. */
export function networkRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const svc = (): NetworkService => {
    if (!deps.networks) throw new NotImplemented('networks are not available in this berthd');
    return deps.networks.networks;
  };
  const endpoints = (): ContainerNetworking => {
    if (!deps.networks) throw new NotImplemented('networks are not available in this berthd');
    return deps.networks;
  };

  r.add('GET', '/networks', (ctx) => {
    const list = svc().list(parseFilters(ctx.query.get('filters')));
    ctx.sendJson(200, list.map((n) => networkWire(svc().view(n), false)));
  });

  r.add('GET', '/networks/{id}', (ctx) => {
    const n = svc().get(param(ctx, 'id'));
    ctx.sendJson(200, networkWire(svc().view(n), true));
  });

  r.add('POST', '/networks/create', async (ctx) => {
    const body = await jsonBody(ctx);
    const name = str(body['Name']);
    if (!name) throw new InvalidArgument('network name is empty');
    if (body['Scope'] && body['Scope'] !== 'local') throw new NotImplemented(`scope ${String(body['Scope'])}: berth networks are local`);
    if (body['Ingress'] === true || body['ConfigOnly'] === true || obj(body['ConfigFrom'])?.['Network']) throw new NotImplemented('swarm network options are not supported by berth');
    const ipam = obj(body['IPAM']);
    if (ipam && str(ipam['Driver']) && ipam['Driver'] !== 'default') throw new NotImplemented(`IPAM driver ${String(ipam['Driver'])} is not supported by berth`);
    const configs = Array.isArray(ipam?.['Config']) ? (ipam['Config'] as unknown[]) : [];
    // --ipv4=false (API 1.48's EnableIPv4) asks for an IPv6-only network; berth's bridges always have IPv4.
    if (body['EnableIPv4'] === false) throw new NotImplemented('EnableIPv4 false (--ipv4=false) is not supported by berth: its bridge networks always have an IPv4 subnet');
    for (const c of configs) {
      const aux = obj(obj(c)?.['AuxiliaryAddresses']);
      if (aux && Object.keys(aux).length) throw new NotImplemented('IPAM.Config.AuxiliaryAddresses (--aux-address) is not supported by berth');
    }
    const rec = await svc().create({
      name,
      ...(str(body['Driver']) ? { driver: str(body['Driver']) as string } : {}),
      internal: bool(body['Internal']) === true,
      attachable: bool(body['Attachable']) === true,
      enableIpv6: bool(body['EnableIPv6']) === true,
      ipam: configs.map((c) => {
        const o = obj(c) ?? {};
        const subnet = str(o['Subnet']);
        const gateway = str(o['Gateway']);
        const ipRange = str(o['IPRange']);
        return { ...(subnet ? { subnet } : {}), ...(gateway ? { gateway } : {}), ...(ipRange ? { ipRange } : {}) };
      }),
      options: strMap(body['Options']) ?? {},
      labels: strMap(body['Labels']) ?? {},
    });
    ctx.sendJson(201, { Id: rec.id, Warning: '' });
  });

  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await svc().remove(param(ctx, 'id'));
    ctx.sendStatus(204);
  });

  r.add('POST', '/networks/prune', async (ctx) => {
    const removed = await svc().prune(pruneKeep(parseFilters(ctx.query.get('filters')), parseUntil));
    // dockerd's report holds a nil list when nothing went: null, not [].
    ctx.sendJson(200, { NetworksDeleted: removed.length ? removed : null });
  });

  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = await jsonBody(ctx);
    const container = str(body['Container']);
    if (!container) throw new InvalidArgument('no container given to connect');
    const ep = obj(body['EndpointConfig']) ?? {};
    const aliases = strList(ep['Aliases'], 'EndpointConfig.Aliases');
    const ipam = obj(ep['IPAMConfig']);
    const ip = str(ipam?.['IPv4Address']);
    const ip6 = str(ipam?.['IPv6Address']);
    const linkLocalIps = strList(ipam?.['LinkLocalIPs'], 'EndpointConfig.IPAMConfig.LinkLocalIPs');
    const mac = str(ep['MacAddress']);
    const links = strList(ep['Links'], 'EndpointConfig.Links')?.map(parseLink);
    await endpoints().connect(param(ctx, 'id'), container, {
      ...(aliases ? { aliases } : {}),
      ...(links?.length ? { links } : {}),
      ...(ip ? { ip } : {}),
      ...(ip6 ? { ip6 } : {}),
      ...(linkLocalIps?.length ? { linkLocalIps } : {}),
      ...(mac ? { mac } : {}),
    });
    ctx.sendStatus(200);
  });

  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = await jsonBody(ctx);
    const container = str(body['Container']);
    if (!container) throw new InvalidArgument('no container given to disconnect');
    await endpoints().disconnect(param(ctx, 'id'), container, bool(body['Force']) === true);
    ctx.sendStatus(200);
  });
}
