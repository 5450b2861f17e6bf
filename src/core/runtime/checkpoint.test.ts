import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criuFailure } from './checkpoint.js';

// CRIU 3.17.1's dump.log on kernel 6.18 (vvar split in two areas), as runc checkpoint left it.
const KERNDAT_LOG = `(00.000122) Version: 3.17.1 (gitid 0)
(00.049327) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
(00.049329) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
(00.049330) Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
(00.049356) Adjust mmap_min_addr 0x1000 -> 0x10000
`;

test('a CRIU that cannot read the kernel says so, with its first error and the versions', () => {
  const m = criuFailure('checkpoint', KERNDAT_LOG, { criu: '3.17.1', kernel: '6.18.44' });
  assert.match(m, /^CRIU 3\.17\.1 cannot checkpoint containers on this kernel \(6\.18\.44\)/);
  assert.match(m, /vdso: Unexpected rt vDSO area bounds: this kernel's vDSO layout is newer than CRIU 3\.17\.1 knows/);
  assert.match(m, /"criu check" fails the same way/);
  assert.doesNotMatch(m, /criu\/vdso\.c|00\.049/);
});

test('another CRIU failure gives its first error line', () => {
  const log = '(00.1) Error (criu/sk-inet.c:191): inet: Connected TCP socket, consider using --tcp-established option.\n(00.2) Error (criu/cr-dump.c:1):  Dumping FAILED.\n';
  assert.equal(criuFailure('restore', log, { criu: '', kernel: 'k' }), 'CRIU could not restore the container: inet: Connected TCP socket, consider using --tcp-established option.');
});

test('a log without errors still gives a sentence', () => {
  assert.equal(criuFailure('checkpoint', '(00.1) Version: 3.17.1\n', { criu: '3.17.1', kernel: 'k' }), 'CRIU 3.17.1 could not checkpoint the container (it left no reason in its log)');
});
