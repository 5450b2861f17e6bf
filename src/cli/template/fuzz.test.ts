import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthError } from '../../errdefs/index.js';
import { Template } from './exec.js';

/* Fuzzing the --format template subset: any source either renders or fails with a documented error. */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

const piece = fc.oneof(
  fc.constantFrom('{{', '}}', '{{-', '-}}', '.ID', '.Names', '.Labels', 'json', 'join', '|', 'printf "%s"', 'range', 'end', 'if', 'else', '$x :=', '$x', '"q"', '(', ')', 'index', 'table', '\t', 'upper', 'len', 'with', 'nil'),
  fc.string({ maxLength: 6 }),
);

test('fuzz: templates render or fail with a documented error', () => {
  const data = { ID: 'abc', Names: ['/x', '/y'], Labels: { a: '1' }, Nested: { Deep: [1, 2] } };
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 16 }), (parts) => {
      const src = parts.join(' ');
      try {
        new Template(src).execute(data);
      } catch (e) {
        assert.ok(e instanceof BerthError, `undocumented error for ${JSON.stringify(src)}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }),
    { numRuns: RUNS * 6 },
  );
});
