import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthError } from '../../errdefs/index.js';
import { createInputFromWire } from './dialect/index.js';
import { parseFilters, parseJsonObject } from './request.js';

/*
 * Fuzzing Engine API request bodies: any bytes, any JSON, and ContainerCreate bodies with fields of
 * the wrong types are turned into typed input or refused with a documented error (a 400 in the
 * dialect), never a TypeError that would surface as a 500 with Node's words.
 */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

function documented(e: unknown, what: string): void {
  assert.ok(e instanceof BerthError, `undocumented error for ${what}: ${e instanceof Error ? e.stack : String(e)}`);
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const field = fc.constantFrom(
  'Image', 'Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'Hostname', 'Tty', 'OpenStdin', 'Labels', 'ExposedPorts', 'Volumes', 'Healthcheck', 'StopTimeout', 'StopSignal',
  'MacAddress', 'NetworkingConfig',
);
const hostField = fc.constantFrom(
  'Binds', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'CapAdd', 'CapDrop', 'LogConfig', 'Privileged', 'ReadonlyRootfs', 'ConsoleSize', 'PidMode', 'IpcMode',
  'OomScoreAdj', 'MaskedPaths', 'Memory', 'Ulimits', 'Devices', 'Mounts', 'Tmpfs', 'Sysctls', 'ExtraHosts', 'Dns', 'SecurityOpt', 'DeviceCgroupRules', 'Links',
);
const body = fc
  .tuple(fc.dictionary(field, anyJson, { maxKeys: 6 }), fc.dictionary(hostField, anyJson, { maxKeys: 6 }), fc.boolean())
  .map(([top, host, withImage]) => ({ ...(withImage ? { Image: 'busybox' } : {}), ...top, HostConfig: host }));

test('fuzz: ContainerCreate bodies become typed input or a documented error', () => {
  fc.assert(
    fc.property(body, (b) => {
      try {
        createInputFromWire(b as Record<string, unknown>, null);
      } catch (e) {
        documented(e, JSON.stringify(b));
      }
    }),
    { numRuns: RUNS * 6 },
  );
});

test('fuzz: request bytes and filters parse or fail with a documented error', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), anyJson.map((j) => Buffer.from(JSON.stringify(j)))), fc.oneof(fc.string({ maxLength: 40 }), anyJson.map((j) => JSON.stringify(j))), (bytes, filters) => {
      try {
        parseJsonObject(bytes);
      } catch (e) {
        documented(e, bytes.toString('hex'));
      }
      try {
        parseFilters(filters);
      } catch (e) {
        documented(e, filters);
      }
    }),
    { numRuns: RUNS * 6 },
  );
});
