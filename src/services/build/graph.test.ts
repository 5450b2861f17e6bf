import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages, type Dockerfile, type Instruction } from '../../core/dockerfile/index.js';
import { mountSources, planStages } from './graph.js';

const same = (w: string): string => w;

function plan(text: string, target?: string): { order: number[]; deps: Record<number, number[]>; target: number } {
  const p = planStages(parseStages(text), target, same);
  return { order: p.order, deps: Object.fromEntries(p.deps), target: p.target };
}

test('only the stages the target reaches are planned, dependencies first, a shared one once', () => {
  const df = [
    'FROM busybox AS base', // 0
    'RUN echo base',
    'FROM base AS a', // 1
    'RUN echo a',
    'FROM busybox AS unused', // 2
    'RUN false',
    'FROM base AS b', // 3
    'COPY --from=a /x /x',
    'FROM busybox', // 4
    'COPY --from=b /x /b',
    'COPY --from=1 /x /a',
  ].join('\n');
  const p = plan(df);
  assert.equal(p.target, 4);
  assert.deepEqual(p.order, [0, 1, 3, 4]);
  assert.deepEqual(p.deps, { 0: [], 1: [0], 3: [0, 1], 4: [3, 1] });
  assert.deepEqual(plan(df, 'A').order, [0, 1], '--target matches names case-insensitively');
  assert.deepEqual(plan(df, 'unused').order, [2]);
  assert.throws(() => plan(df, 'nope'), /failed to reach build target nope in Dockerfile/);
});

test('a FROM or --from naming no stage is an image; FROM x AS x is the image x', () => {
  assert.deepEqual(plan('FROM golang AS golang\nRUN true\nFROM busybox\nCOPY --from=alpine /a /a\n').order, [1]);
  assert.deepEqual(plan('FROM golang AS golang\nFROM busybox\nCOPY --from=golang /a /a\n').deps, { 0: [], 1: [0] });
});

test('a cycle through --from is an error naming the line; a numeric --from must be an earlier stage', () => {
  const df = 'FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n';
  assert.throws(() => plan(df, 'a'), /Dockerfile line 4 \(COPY --from=a \/y \/y\): circular dependency detected on stage: a \(a -> b -> a\)/);
  assert.throws(() => plan('FROM busybox AS a\nCOPY --from=a /x /x\n'), /line 2 .*circular dependency detected on stage: a \(a -> a\)/);
  assert.throws(() => plan('FROM busybox\nCOPY --from=0 /x /x\n'), /Dockerfile line 2: invalid from flag value 0: refers to current build stage or one after it/);
});

test('RUN --mount=from= makes a dependency; a --mount inside the command does not', () => {
  const run = (original: string): Instruction => ({ kind: 'run', cmd: { json: false, text: '' }, line: 3, original });
  assert.deepEqual(mountSources(run('RUN --mount=type=bind,from=deps,target=/d --mount="type=cache,target=/c,from=cachestage" make')), ['deps', 'cachestage']);
  assert.deepEqual(mountSources(run('RUN echo --mount=from=x')), []);
  const parsed = parseStages('FROM busybox AS deps\nFROM busybox AS other\nFROM busybox\nRUN true\n');
  const df: Dockerfile = { ...parsed, stages: parsed.stages.map((s, i) => (i === 2 ? { ...s, instructions: [run('RUN --mount=type=bind,from=deps,target=/d ls /d')] } : s)) };
  const p = planStages(df, undefined, same);
  assert.deepEqual(p.order, [0, 2]);
});

test('stage names given as ARGs are expanded before they are looked up', () => {
  const df = parseStages('ARG SRC=a\nFROM busybox AS a\nFROM busybox AS b\nFROM busybox\nCOPY --from=${SRC} /x /x\n');
  const p = planStages(df, undefined, (w) => w.replace('${SRC}', 'b'));
  assert.deepEqual(p.order, [1, 2]);
});

test("a stage named only by the COPY --from of its base's ONBUILD trigger is planned before the child", () => {
  const df = parseStages('FROM busybox AS build\nRUN true\nFROM busybox AS unused\nRUN exit 1\nFROM onbuild-parent\nRUN true\n');
  const trigger = parseStages('FROM x\nCOPY --from=build /x /x\n').stages[0]?.instructions ?? [];
  assert.deepEqual(planStages(df, undefined, same).order, [2]);
  const p = planStages(df, undefined, same, (i) => (i === 2 ? trigger : undefined));
  assert.deepEqual(p.order, [0, 2]);
  assert.deepEqual(p.deps.get(2), [0]);
});
