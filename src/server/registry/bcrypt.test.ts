import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bcryptHash, bcryptVerify } from './bcrypt.js';

// Known answers from OpenBSD's and glibc's bcrypt (the latter via Python's crypt module here).
test('bcrypt matches the reference implementations', () => {
  assert.equal(bcryptHash('x', '$2b$04$abcdefghijklmnopqrstuu'), '$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e');
  assert.equal(bcryptHash('', '$2a$06$DCq7YPn5Rq63x1Lad4cll.'), '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.');
  assert.equal(
    bcryptHash('abcdefghijklmnopqrstuvwxyz', '$2a$06$.rCVZVOThsIa97pEDOxvGu'),
    '$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC',
  );
  assert.ok(bcryptVerify('x', '$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e'));
  assert.ok(!bcryptVerify('y', '$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e'));
  assert.ok(!bcryptVerify('x', '{SHA}not-bcrypt'));
});
