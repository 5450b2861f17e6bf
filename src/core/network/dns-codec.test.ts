import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, parseQuery, RCODE_NXDOMAIN, TYPE_A } from './dns-codec.js';

/** A query as busybox nslookup sends it: id, RD flag, one question. */
function query(name: string, type = TYPE_A): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const head = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([head, ...labels, Buffer.from([0]), tail]);
}

test('parseQuery reads the id, name and type; responses carry A records for that question', () => {
  const q = parseQuery(query('web.app'));
  assert.ok(q);
  assert.equal(q.id, 0x1234);
  assert.equal(q.name, 'web.app');
  assert.equal(q.type, TYPE_A);
  const r = buildResponse(query('web.app'), q, ['10.1.2.3', '10.1.2.4']);
  assert.equal(r.readUInt16BE(0), 0x1234);
  assert.equal(r.readUInt16BE(2) & 0x8000, 0x8000, 'a response');
  assert.equal(r.readUInt16BE(2) & 0x0100, 0x0100, 'recursion desired echoed');
  assert.equal(r.readUInt16BE(6), 2);
  assert.deepEqual([...r.subarray(r.length - 4)], [10, 1, 2, 4]);
  const nx = buildResponse(query('nobody'), parseQuery(query('nobody')) as never, [], RCODE_NXDOMAIN);
  assert.equal(nx.readUInt16BE(2) & 0xf, RCODE_NXDOMAIN);
  assert.equal(nx.readUInt16BE(6), 0);
});

test('parseQuery refuses responses, truncated and malformed messages', () => {
  assert.equal(parseQuery(Buffer.alloc(5)), undefined);
  const resp = query('x');
  resp[2] = 0x81;
  assert.equal(parseQuery(resp), undefined);
  assert.equal(parseQuery(query('web').subarray(0, 15)), undefined);
});
