import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalNumber } from './signals.js';

test('signalNumber: the number Docker shows in kill events, from any spelling of a signal', () => {
  assert.equal(signalNumber('SIGKILL'), 9);
  assert.equal(signalNumber('term'), 15);
  assert.equal(signalNumber('USR1'), 10);
  assert.equal(signalNumber('6'), 6);
  assert.throws(() => signalNumber('NOPE'), /Invalid signal: NOPE/);
});
