import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSyslog, parseSyslogOptions } from './syslog.js';

const local = new Date(2026, 11, 8, 1, 2, 3, 45);
const zone = ((): string => {
  const off = -local.getTimezoneOffset();
  const p = (n: number): string => String(n).padStart(2, '0');
  return off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
})();
const base = { facility: 3, time: local, tag: 'web', host: 'h1', pid: 42 };

test("syslog frames as dockerd's syslog driver writes them, per format", () => {
  assert.equal(formatSyslog('rfc5424', { ...base, stream: 'stdout', text: 'hello\n' }), `<30>1 2026-12-08T01:02:03${zone} h1 web 42 web - hello\n`);
  assert.equal(formatSyslog('rfc5424micro', { ...base, stream: 'stderr', text: 'oops' }), `<27>1 2026-12-08T01:02:03.045000${zone} h1 web 42 web - oops\n`);
  assert.equal(formatSyslog('rfc3164', { ...base, stream: 'stdout', text: 'x\n' }), '<30>Dec  8 01:02:03 h1 web[42]: x\n');
  assert.equal(formatSyslog('unix', { ...base, facility: 16, stream: 'stdout', text: 'x\n' }), '<134>Dec  8 01:02:03 web[42]: x\n');
});

test('syslog options: addresses, facility, format; unixgram and TLS refused by name', () => {
  assert.deepEqual(parseSyslogOptions({ 'syslog-address': 'udp://127.0.0.1:5514', 'syslog-facility': 'local0', 'syslog-format': 'rfc5424' }), { transport: 'udp', host: '127.0.0.1', port: 5514, path: '', facility: 16, format: 'rfc5424' });
  assert.equal(parseSyslogOptions({ 'syslog-address': 'tcp://127.0.0.1' }).port, 514);
  assert.equal(parseSyslogOptions({ 'syslog-address': 'unix:///run/x.sock' }).path, '/run/x.sock');
  assert.equal(parseSyslogOptions({ 'syslog-address': 'unixgram:///dev/log' }).transport, 'unixgram');
  assert.equal(parseSyslogOptions({}).transport, 'local');
  assert.throws(() => parseSyslogOptions({ 'syslog-address': 'tcp+tls://h:1' }), /tcp\+tls:\/\/ is not supported by berth/);
  assert.throws(() => parseSyslogOptions({ 'syslog-tls-cert': '/c' }), /syslog-tls-cert/);
  assert.throws(() => parseSyslogOptions({ 'syslog-facility': 'nope' }), /invalid syslog facility 'nope'/);
  assert.throws(() => parseSyslogOptions({ 'syslog-format': 'rfc9' }), /invalid syslog format 'rfc9'/);
  assert.throws(() => parseSyslogOptions({ 'syslog-address': 'http://x' }), /unsupported syslog-address scheme 'http'/);
});
