import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL, EXEC_WS_PROTOCOLS, PORT_FORWARD_WS_PROTOCOLS, decodeChannelMessage, encodeChannelMessage, negotiateWsProtocol, portPrefix } from './ws-channels.js';

const get = (name: string) => {
  const p = negotiateWsProtocol([name], EXEC_WS_PROTOCOLS);
  assert.ok(p, name);
  return p;
};

test('the client\'s first supported subprotocol wins; none offered means plain binary channels', () => {
  assert.equal(negotiateWsProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io'], EXEC_WS_PROTOCOLS)?.name, 'v5.channel.k8s.io');
  assert.equal(negotiateWsProtocol(['nope', 'v4.channel.k8s.io', 'v5.channel.k8s.io'], EXEC_WS_PROTOCOLS)?.name, 'v4.channel.k8s.io');
  assert.equal(negotiateWsProtocol(['nope'], EXEC_WS_PROTOCOLS), undefined);
  assert.equal(negotiateWsProtocol(['v5.channel.k8s.io'], PORT_FORWARD_WS_PROTOCOLS), undefined);
  assert.deepEqual(negotiateWsProtocol([], EXEC_WS_PROTOCOLS), { name: '', base64: false, statusJson: false, closeSignal: false });
});

test('binary channels prefix one byte; base64 channels a digit and base64 text', () => {
  assert.deepEqual(encodeChannelMessage(get('v4.channel.k8s.io'), CHANNEL.stdout, Buffer.from('foo\n')), Buffer.from([1, 102, 111, 111, 10]));
  assert.equal(encodeChannelMessage(get('v4.base64.channel.k8s.io'), CHANNEL.stdin, Buffer.from('foo\n')), '0Zm9vCg==');
  assert.deepEqual(decodeChannelMessage(get('base64.channel.k8s.io'), Buffer.from('1Cg==')), { kind: 'data', channel: 1, data: Buffer.from('\n') });
  assert.throws(() => decodeChannelMessage(get('base64.channel.k8s.io'), Buffer.from('1**')), /not base64/);
  assert.throws(() => decodeChannelMessage(get('base64.channel.k8s.io'), Buffer.from('xZm9v')), /must start with a digit/);
  for (const name of EXEC_WS_PROTOCOLS) {
    const p = get(name);
    for (const data of [Buffer.alloc(0), Buffer.from([0, 255, 3]), Buffer.from('héllo')]) {
      const msg = encodeChannelMessage(p, CHANNEL.stderr, data);
      assert.deepEqual(decodeChannelMessage(p, Buffer.from(msg)), { kind: 'data', channel: CHANNEL.stderr, data }, name);
    }
  }
});

test('v5 reads channel 255 as the close signal of the channel it names; older protocols do not', () => {
  assert.deepEqual(decodeChannelMessage(get('v5.channel.k8s.io'), Buffer.from([255, 0])), { kind: 'close', channel: 0 });
  assert.throws(() => decodeChannelMessage(get('v5.channel.k8s.io'), Buffer.from([255])), /must name the channel/);
  assert.deepEqual(decodeChannelMessage(get('v4.channel.k8s.io'), Buffer.from([255, 0])), { kind: 'data', channel: 255, data: Buffer.from([0]) });
  assert.deepEqual(decodeChannelMessage(get('v4.channel.k8s.io'), Buffer.alloc(0)), { kind: 'empty' });
});

test('a port forward channel opens with its port in two little-endian bytes', () => {
  assert.deepEqual(portPrefix(8080), Buffer.from([0x90, 0x1f]));
});
