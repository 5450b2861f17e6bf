import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CriDeps } from './deps.js';
import { cniStatus } from './network-status.js';
import { unary, unimplemented } from './rpc.js';
import { sandboxHandlers } from './sandboxes.js';
import { containerHandlers } from './containers.js';
import { execHandlers } from './exec.js';
import { statsHandlers } from './stats.js';
import type { StreamingServer } from './streaming/index.js';

/** The CRI version berth speaks (VersionResponse.version is the kubelet runtime API's own, 0.1.0). */
export const CRI_API_VERSION = 'v1';

/** What containerd 1.6 leaves unimplemented too. */
const NOT_IN_CONTAINERD_16 = ['CheckpointContainer', 'ListMetricDescriptors', 'ListPodSandboxMetrics'];

function validCidr(s: string): boolean {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(s);
  if (m) return (m[1] as string).split('.').every((o) => Number(o) <= 255) && Number(m[2]) <= 32;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(s);
  return v6 !== null && (v6[1] as string).includes(':') && Number(v6[2]) <= 128;
}

/** runtime.v1.RuntimeService: node-level calls, pod sandboxes, their containers and exec. */
export function runtimeService(deps: CriDeps, streaming: StreamingServer): UntypedServiceImplementation {
  // kubelet sends the node's pod CIDR at start and on change; it is reported back in Status.
  let podCidr = '';
  const impl: UntypedServiceImplementation = {
    Version: unary('Version', async () => ({
      version: '0.1.0',
      runtime_name: 'berth',
      runtime_version: deps.version,
      runtime_api_version: CRI_API_VERSION,
    })),

    Status: unary('Status', async (req) => {
      const cni = await cniStatus(deps.config.cniConfDir);
      const conditions = [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        cni.ready
          ? { type: 'NetworkReady', status: true, reason: '', message: '' }
          : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${cni.message}` },
      ];
      const info: Record<string, string> = {};
      if (req['verbose'] === true) {
        const c = deps.config;
        info['config'] = JSON.stringify({
          sandboxImage: c.sandboxImage,
          cniConfDir: c.cniConfDir,
          cniBinDirs: c.cniBinDirs,
          cgroupDriver: c.cgroupDriver,
          streamAddress: c.streamAddress,
          streamPort: c.streamPort,
          namespace: c.namespace,
          podCIDR: podCidr,
        });
        info['cniconfig'] = JSON.stringify({ confDir: c.cniConfDir, binDirs: c.cniBinDirs, networks: cni.networks });
        info['lastCNILoadStatus'] = cni.ready ? 'OK' : cni.message;
      }
      return { status: { conditions }, info };
    }),

    UpdateRuntimeConfig: unary('UpdateRuntimeConfig', async (req) => {
      const rc = req['runtime_config'] as Record<string, unknown> | null;
      const nc = rc?.['network_config'] as Record<string, unknown> | null | undefined;
      const cidr = typeof nc?.['pod_cidr'] === 'string' ? nc['pod_cidr'].trim() : '';
      // An empty CIDR leaves it as it was, as containerd does.
      if (cidr === '') return {};
      for (const c of cidr.split(',')) {
        if (!validCidr(c.trim())) throw new InvalidArgument(`UpdateRuntimeConfig: invalid pod CIDR ${JSON.stringify(c.trim())}`);
      }
      if (cidr !== podCidr) deps.log(`CRI: pod CIDR is now ${cidr}`);
      podCidr = cidr;
      return {};
    }),

    GetContainerEvents: unimplemented('GetContainerEvents', 'as in containerd 1.6, kubelet polls ListContainers instead', true),
  };
  Object.assign(impl, sandboxHandlers(deps), containerHandlers(deps), execHandlers(deps, streaming), statsHandlers(deps));
  for (const rpc of NOT_IN_CONTAINERD_16) impl[rpc] = unimplemented(rpc, 'as in containerd 1.6');
  return impl;
}
