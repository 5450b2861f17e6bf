import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandWord, expandWords, splitRawWords } from './index.js';

const vars: Record<string, string> = { A: 'a', EMPTY: '', SP: 'x y', HOME: '/root' };
const look = (n: string): string | undefined => vars[n];

test('$VAR, ${VAR} and the modifiers', () => {
  assert.equal(expandWord('$A-${A}_$UNSET.', look), 'a-a_.');
  assert.equal(expandWord('${UNSET:-dflt} ${EMPTY:-e} [${EMPTY-set but empty}] ${UNSET-u}', look), 'dflt e [] u');
  assert.equal(expandWord('${A:+set} ${UNSET:+no} ${EMPTY+plus}', look), 'set  plus');
  assert.equal(expandWord('${UNSET:-${A}/x}', look), 'a/x');
  assert.throws(() => expandWord('${UNSET:?must be set}', look), /UNSET: must be set/);
  assert.equal(expandWord('cost $ 5', look), 'cost $ 5');
});

test('quotes and escapes', () => {
  assert.equal(expandWord(`'$A' "$A" \\$A`, look), '$A a $A');
  assert.equal(expandWord('"say \\"hi\\" \\n"', look), 'say "hi" \\n');
  assert.equal(expandWord('`$A', look, '`'), '$A');
  assert.throws(() => expandWord('"open', look), /matching "/);
});

test('word splitting keeps quoted whitespace and splits variable values', () => {
  assert.deepEqual(expandWords('a "b c" $SP d', look), ['a', 'b c', 'x', 'y', 'd']);
  assert.deepEqual(expandWords('  ', look), []);
  assert.deepEqual(splitRawWords('A=1 B="two words" C=\'x y\''), ['A=1', 'B="two words"', "C='x y'"]);
});
