import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQueryOptions } from './build-options.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

test('build query: extrahosts, networkmode, cachefrom, shmsize and rm are translated', () => {
  assert.deepEqual(buildQueryOptions(q('extrahosts=a:1.2.3.4&extrahosts=b:5.6.7.8&networkmode=none&cachefrom=%5B%22img%22%5D&shmsize=1024&rm=0')), {
    extraHosts: ['a:1.2.3.4', 'b:5.6.7.8'],
    networkMode: 'none',
    cacheFrom: ['img'],
    keepContainers: true,
    shmSize: 1024,
  });
  // What the docker CLI and docker-py send by default.
  assert.deepEqual(buildQueryOptions(q('rm=1&forcerm=0&memory=0&cpushares=0&shmsize=0&ulimits=null&version=1&cachefrom=null')), {
    extraHosts: [],
    networkMode: 'default',
    cacheFrom: [],
    keepContainers: false,
  });
  assert.equal(buildQueryOptions(q('rm=False&forcerm=True')).keepContainers, false, 'forcerm wins');
});

test('build query fields berth cannot do are refused by name', () => {
  const cases: [string, RegExp][] = [
    ['squash=1', /^squash is only supported with experimental mode$/],
    ['isolation=hyperv', /^unsupported isolation: "hyperv"$/],
    ['securityopt=x', /^security options are not supported on linux$/],
    ['version=2', /BuildKit/],
    ['memory=1000000', /^memory \(--memory\)/],
    ['memswap=-1', /^memswap/],
    ['cpuquota=5', /^cpuquota/],
    ['cpusetcpus=0', /^cpusetcpus/],
    ['cgroupparent=x', /^cgroupparent/],
    ['session=abc', /^session/],
    ['ulimits=%5B%7B%22Name%22%3A%22nofile%22%7D%5D', /^ulimits/],
    ['outputs=%5B%7B%7D%5D', /^outputs/],
    ['cachefrom=%7B%7D', /error reading cache-from/],
    ['extrahosts=nocolon', /invalid IP address in add-host: "nocolon"/],
    ['shmsize=abc', /invalid syntax/],
  ];
  for (const [query, message] of cases) assert.throws(() => buildQueryOptions(q(query)), { message }, query);
});

test('build query: platform is passed on; a list or a malformed one refused', () => {
  assert.equal(buildQueryOptions(q('platform=linux%2Farm64')).platform, 'linux/arm64');
  assert.equal(buildQueryOptions(q('platform=')).platform, undefined);
  assert.throws(() => buildQueryOptions(q('platform=linux%2Famd64,linux%2Farm64')), /one platform at a time/);
  assert.throws(() => buildQueryOptions(q('platform=linux%2F%2Fx')), /invalid platform "linux\/\/x"/);
});
