import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newContainerRecord, type ContainerRecord } from '../../../services/index.js';
import { wireConfig } from '../convert.js';
import { createInputFromWire } from './create.js';
import { recordFromLegacy } from './legacy.js';

/*
 * Written by berth before the spec held the process side (commit 8cbfea9's newContainerRecord, from
 * CREATE_BODY over IMAGE): the record with its `config`, `path` and `args`, and the inspect Config
 * that berth rendered from it.
 */
const OLD_RECORD = {"id":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff","name":"fixture","created":"2026-12-01T00:00:00.000Z","imageId":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","path":"sh","args":["-c","echo hi"],"config":{"hostname":"h1","domainname":"example.org","user":"nobody","attachStdin":true,"attachStdout":true,"attachStderr":false,"tty":true,"openStdin":true,"stdinOnce":true,"env":["PATH=/bin","IMG=1","A=1"],"cmd":["-c","echo hi"],"entrypoint":["sh"],"image":"busybox:latest","workingDir":"/tmp","labels":{"from":"image","team":"x"},"stopSignal":"SIGINT","stopTimeout":3,"exposedPorts":{"80/tcp":{},"8080/tcp":{}},"volumes":{"/data":{},"/cache":{}},"healthcheck":{"Test":["CMD-SHELL","true"],"Timeout":1000000000,"Interval":2000000000,"Retries":4},"consoleSize":{"height":24,"width":80}},"spec":{"rootfs":{"readOnly":false},"mounts":[],"volumesFrom":[],"resources":{"ulimits":[]},"security":{"privileged":false,"capAdd":[],"capDrop":[],"noNewPrivileges":false,"seccomp":{"mode":"default"},"devices":[],"deviceCgroupRules":[],"sysctls":{},"groupAdd":[]},"namespaces":{"network":{"mode":"private"},"ipc":{"mode":"private"},"user":{"mode":"private"},"cgroup":{"mode":"host"},"pid":{"mode":"private"},"uts":{"mode":"private"}},"networking":{"network":"default","portBindings":{},"publishAll":false,"dns":{"servers":[],"search":[],"options":[]},"extraHosts":[]},"logging":{"driver":"json-file"},"lifecycle":{"restartPolicy":{"name":"always","maximumRetryCount":0},"autoRemove":false,"init":false},"annotations":{}},"views":{"docker":{"ConsoleSize":[24,80]}},"state":{"status":"created","pid":0,"exitCode":0,"oomKilled":false,"error":"","startedAt":"0001-01-01T00:00:00Z","finishedAt":"0001-01-01T00:00:00Z"},"restartCount":0,"layers":["sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"],"driver":"overlay"};
const OLD_CONFIG = {"Hostname":"h1","Domainname":"example.org","User":"nobody","AttachStdin":true,"AttachStdout":true,"AttachStderr":false,"ExposedPorts":{"80/tcp":{},"8080/tcp":{}},"Tty":true,"OpenStdin":true,"StdinOnce":true,"Env":["PATH=/bin","IMG=1","A=1"],"Cmd":["-c","echo hi"],"Healthcheck":{"Test":["CMD-SHELL","true"],"Timeout":1000000000,"Interval":2000000000,"Retries":4},"Image":"busybox:latest","Volumes":{"/data":{},"/cache":{}},"WorkingDir":"/tmp","Entrypoint":["sh"],"OnBuild":null,"Labels":{"from":"image","team":"x"},"StopSignal":"SIGINT","StopTimeout":3};
const CREATE_BODY = {
  Hostname: 'h1', Domainname: 'example.org', User: 'nobody', AttachStdin: true, AttachStdout: true, AttachStderr: false,
  Tty: true, OpenStdin: true, StdinOnce: true, Env: ['A=1', 'PATH=/bin'], Cmd: ['-c', 'echo hi'], Entrypoint: ['sh'],
  Image: 'busybox:latest', WorkingDir: '/tmp', Labels: { team: 'x' }, StopSignal: 'SIGINT', StopTimeout: 3,
  ExposedPorts: { '8080/tcp': {} }, Volumes: { '/cache': {} },
  Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 4 },
  HostConfig: { ConsoleSize: [24, 80], RestartPolicy: { Name: 'always' } },
};
const IMAGE = {
  id: `sha256:${'c'.repeat(64)}`,
  chainIds: [`sha256:${'d'.repeat(64)}`],
  config: { Env: ['PATH=/usr/bin', 'IMG=1'], Cmd: ['sh'], Labels: { from: 'image' }, ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Healthcheck: { Test: ['CMD', 'false'], Timeout: 1e9 }, WorkingDir: '/' },
};

/** The Config as JSON text, the healthcheck's keys in one order (today's follows Docker's HealthConfig, the old one the merge's). */
const text = (c: Record<string, unknown>): string => JSON.stringify({ ...c, Healthcheck: Object.fromEntries(Object.entries(c['Healthcheck'] as object).sort()) });

test('an old record\'s process side moves into the spec: inspect shows the same Config, Path and Args', () => {
  const rec = recordFromLegacy(structuredClone(OLD_RECORD) as unknown as Record<string, unknown>);
  for (const k of ['config', 'path', 'args']) assert.ok(!(k in rec), k);
  assert.deepEqual(rec.spec.process, {
    args: ['sh', '-c', 'echo hi'], entrypoint: ['sh'], command: ['-c', 'echo hi'], env: ['PATH=/bin', 'IMG=1', 'A=1'], cwd: '/tmp', user: 'nobody',
    terminal: true, stdin: { open: true, once: true }, consoleSize: { height: 24, width: 80 },
  });
  assert.deepEqual(rec.spec.lifecycle, { restartPolicy: { name: 'always', maximumRetryCount: 0 }, autoRemove: false, init: false, stopSignal: 'SIGINT', stopTimeout: 3, healthcheck: { test: ['CMD-SHELL', 'true'], timeoutNs: 1e9, intervalNs: 2e9, retries: 4 } });
  assert.equal(rec.spec.networking.hostname, 'h1');
  assert.deepEqual(rec.spec.networking.exposedPorts, ['80/tcp', '8080/tcp']);
  assert.deepEqual(rec.spec.volumes, ['/data', '/cache']);
  assert.deepEqual(rec.spec.labels, { from: 'image', team: 'x' });
  assert.deepEqual(rec.views, { docker: { ConsoleSize: [24, 80] }, dockerConfig: { AttachStdin: true, AttachStdout: true } });
  assert.deepEqual(wireConfig(rec), OLD_CONFIG);
  assert.equal(text(wireConfig(rec)), text(OLD_CONFIG), 'the same keys in the same order');
  assert.deepEqual(recordFromLegacy(structuredClone(rec) as unknown as Record<string, unknown>), rec, 'a converted record stays as it is');
});

test('today\'s create of the same request renders the Config the old record did', () => {
  const rec: ContainerRecord = newContainerRecord(createInputFromWire(CREATE_BODY, 'fixture'), IMAGE, 'fixture', 'overlay');
  assert.deepEqual(wireConfig(rec), OLD_CONFIG);
  assert.equal(text(wireConfig(rec)), text(OLD_CONFIG));
  assert.deepEqual(rec.spec.process.args, [OLD_RECORD.path, ...OLD_RECORD.args]);
});
