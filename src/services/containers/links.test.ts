import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkEnv, planLinks } from './links.js';
import type { ContainerRecord, ContainerSpec } from '../../core/metadata/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';

test('linkEnv: the lowest TCP port first, one set per port, START/END for a consecutive range, HOME and PATH left out', () => {
  const env = linkEnv('/app/my-db', '10.0.0.2', ['53/udp', '8001/tcp', '8000/tcp', '80/tcp'], ['PATH=/bin', 'HOME=/root', 'A=b=c', 'NOEQ']);
  assert.equal(env[0], 'MY_DB_PORT=tcp://10.0.0.2:80');
  assert.deepEqual(env.slice(1, 5), ['MY_DB_PORT_80_TCP=tcp://10.0.0.2:80', 'MY_DB_PORT_80_TCP_ADDR=10.0.0.2', 'MY_DB_PORT_80_TCP_PORT=80', 'MY_DB_PORT_80_TCP_PROTO=tcp']);
  assert.ok(env.includes('MY_DB_PORT_8000_TCP_START=tcp://10.0.0.2:8000'));
  assert.ok(env.includes('MY_DB_PORT_8000_TCP_END=tcp://10.0.0.2:8001'));
  assert.ok(env.includes('MY_DB_PORT_8000_TCP_PORT_END=8001'));
  assert.ok(env.includes('MY_DB_PORT_53_UDP=udp://10.0.0.2:53'));
  assert.ok(!env.some((e) => e.startsWith('MY_DB_PORT_80_TCP_START')), 'a lone port is no range');
  assert.deepEqual(env.slice(-2), ['MY_DB_NAME=/app/my-db', 'MY_DB_ENV_A=b=c']);
});

test('linkEnv without ports: only NAME and the env', () => {
  assert.deepEqual(linkEnv('/p/t', '10.0.0.3', [], ['X=1']), ['T_NAME=/p/t', 'T_ENV_X=1']);
});

test('planLinks: host and container modes refused, user networks keep no legacy link, a missing target is a 400', () => {
  const spec = (network: string, ns: 'private' | 'host' | 'container' = 'private'): ContainerSpec => ({ networking: { network }, namespaces: { network: { mode: ns } } }) as unknown as ContainerSpec;
  const target = { id: 'f'.repeat(64), name: 't', spec: spec('default') } as unknown as ContainerRecord;
  const get = (n: string): ContainerRecord => {
    if (n === 't') return target;
    throw new NotFound(`No such container: ${n}`);
  };
  assert.throws(() => planLinks(spec('host', 'host'), [{ name: 't', alias: 'a' }], get), /host type networking can't be used with links/);
  assert.throws(() => planLinks(spec('', 'container'), [{ name: 't', alias: 'a' }], get), /container type network can't be used with links/);
  assert.throws(() => planLinks(spec('default'), [{ name: 'gone', alias: 'g' }], get), (e: unknown) => e instanceof InvalidArgument && e.message === 'could not get container for gone: No such container: gone');
  assert.deepEqual(planLinks(spec('mynet'), [{ name: 't', alias: 'a' }], get), []);
  assert.deepEqual(planLinks(spec('default'), [{ name: 't', alias: 'a' }, { name: 't', alias: 'a' }], get), [{ targetId: target.id, alias: 'a' }]);
});
