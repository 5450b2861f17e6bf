import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseUnsupportedCreateFields } from './create-unsupported.js';

/** What the docker CLI 28 sends for a plain `docker create busybox true` (API 1.43): every zero value. */
const CLI_DEFAULTS = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: null, Cmd: ['true'], Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
    SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0,
    CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0,
    MemorySwap: 0, MemorySwappiness: -1, OomKillDisable: false, PidsLimit: 0, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
    MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: { default: { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '' } } },
};

function withHost(extra: Record<string, unknown>): Record<string, unknown> {
  return { ...CLI_DEFAULTS, HostConfig: { ...CLI_DEFAULTS.HostConfig, ...extra } };
}

test('the zero values every client sends ask for nothing berth lacks', () => {
  refuseUnsupportedCreateFields(CLI_DEFAULTS);
  refuseUnsupportedCreateFields({ Image: 'busybox' });
  refuseUnsupportedCreateFields(withHost({ IpcMode: 'private', CgroupnsMode: 'host', VolumeDriver: 'local', Isolation: 'default', MemorySwappiness: null }));
  // Implemented now (dialect/host-options.ts): no longer refused here.
  refuseUnsupportedCreateFields(withHost({ CgroupParent: '/mine', MemorySwappiness: 10, CpusetMems: '0' }));
  // The storage decides whether a size can hold (core/snapshots): refused there in dockerd's words where not.
  refuseUnsupportedCreateFields(withHost({ StorageOpt: { size: '1G' } }));
});

test('each field berth does not implement is refused with a message naming it', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [withHost({ Cgroup: 'container:x' }), /^HostConfig\.Cgroup "container:x"/],
    [withHost({ KernelMemoryTCP: 1024 }), /^HostConfig\.KernelMemoryTCP 1024/],
    [withHost({ MaskedPaths: [] as string[] }), /^HostConfig\.MaskedPaths/],
    [withHost({ VolumeDriver: 'nfs' }), /^HostConfig\.VolumeDriver "nfs"/],
    [{ ...CLI_DEFAULTS, NetworkDisabled: true }, /^Config\.NetworkDisabled true/],
    [{ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { n1: { DriverOpts: { a: 'b' } } } } }, /^NetworkingConfig\.EndpointsConfig\.n1\.DriverOpts/],
  ];
  for (const [body, re] of cases) assert.throws(() => refuseUnsupportedCreateFields(body), (e: Error) => e.name === 'InvalidArgument' && re.test(e.message), String(re));
});
