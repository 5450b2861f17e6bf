import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages, type Instruction } from '../../core/dockerfile/index.js';
import { applyMeta, nopCmd, parseDuration, StageState, type MetaInstruction } from './state.js';

function steps(text: string): Instruction[] {
  return parseStages(`FROM x\n${text}`).stages[0]?.instructions ?? [];
}

function apply(st: StageState, text: string, buildArgs: Record<string, string | null> = {}, meta = new Map<string, string | undefined>()): string[] {
  return steps(text).map((ins) => applyMeta(ins as MetaInstruction, st, buildArgs, meta));
}

test('ENV values see the variables as they were before the line; history comments as Docker writes them', () => {
  const st = new StageState(null, { config: { Env: ['PATH=/bin', 'A=old'] } }, '\\');
  const comments = apply(st, 'ENV A=new B=$A C="${A} x"\nENV LEGACY one two');
  assert.deepEqual(st.env(), ['PATH=/bin', 'A=new', 'B=old', 'C=old x', 'LEGACY=one two']);
  assert.deepEqual(comments, ['ENV A=new B=old C=old x', 'ENV LEGACY=one two']);
  assert.deepEqual(nopCmd(st, comments[0] as string), ['/bin/sh', '-c', '#(nop) ', 'ENV A=new B=old C=old x']);
});

test('ARG: build args win over defaults, a bare ARG takes the value from before FROM, ENV wins over ARG', () => {
  const st = new StageState(null, { config: {} }, '\\');
  apply(st, 'ARG A=dflt\nARG B\nARG C=c\nENV C=from-env', { A: 'given' }, new Map([['B', 'meta']]));
  assert.equal(st.lookup('A'), 'given');
  assert.equal(st.lookup('B'), 'meta');
  assert.equal(st.lookup('C'), 'from-env');
  assert.deepEqual(st.buildArgEnv({ http_proxy: 'http://p' }), { all: ['A=given', 'B=meta', 'http_proxy=http://p'], recorded: ['A=given', 'B=meta'] });
});

test('CMD/ENTRYPOINT forms, ENTRYPOINT dropping an inherited CMD, SHELL, EXPOSE ranges, HEALTHCHECK', () => {
  const st = new StageState(null, { config: { Cmd: ['inherited'] } }, '\\');
  const c = apply(st, 'ENTRYPOINT echo hi\nSHELL ["/bin/bash", "-c"]\nCMD run it\nEXPOSE 80 7000-7001/udp\nHEALTHCHECK --interval=1m30s CMD ["true"]');
  assert.deepEqual(st.rc['Entrypoint'], ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(st.rc['Cmd'], ['/bin/bash', '-c', 'run it']);
  assert.deepEqual(Object.keys(st.rc['ExposedPorts'] as object), ['80/tcp', '7000/udp', '7001/udp']);
  assert.deepEqual(st.rc['Healthcheck'], { Test: ['CMD', 'true'], Interval: 90e9 });
  assert.deepEqual(c.slice(0, 3), ['ENTRYPOINT ["/bin/sh" "-c" "echo hi"]', 'SHELL [/bin/bash -c]', 'CMD ["/bin/bash" "-c" "run it"]']);
  const kept = new StageState(null, { config: {} }, '\\');
  apply(kept, 'CMD ["a"]\nENTRYPOINT ["b"]');
  assert.deepEqual(kept.rc['Cmd'], ['a'], 'a CMD of the same stage survives a later ENTRYPOINT');
  assert.equal(parseDuration('1h2m3s', 'x'), 3723e9);
  assert.throws(() => parseDuration('5 seconds', 'interval'), /invalid duration/);
  assert.throws(() => apply(kept, 'EXPOSE 80-70'), /invalid port range/);
});
