#!/usr/bin/env -S node --max-semi-space-size=1 --interrupt-budget=1048576
// berthd's launcher (bin/berthd links here: a .cjs file, so node starts it without its ES module
// loader, which alone costs ~2 MB of resident memory).
// A 1 MB young generation: berthd allocates little per request, and this keeps about 15 MB of RSS off.
// An interrupt budget 16x V8's: a function is optimized only once it is really hot. berthd's work
// comes in bursts on short-lived threads (a pull's workers end 30 s after it); with the default
// budget, a pull on fresh threads spent ~0.5 s of CPU compiling code it threw away (94 TurboFan
// compiles per pull). Measured: a first pull 2.58 -> 2.33 s, berthd's CPU per `run --rm` 96 -> 80 ms,
// its RSS after bench/run 81 -> 77 MB; steady-state code is optimized as before, just later.
// It runs dist/berthd.cjs, berthd as one bundle (scripts/setup builds it), when that is newer than
// the last tsc build, else the compiled modules: one file instead of ~370 modules, about 8 MB less
// resident memory and ~200 ms less to its socket (bin/launch.cjs; BERTH_DIST, BERTH_NO_BUNDLE).
'use strict';
require('./launch.cjs').launch('berthd.cjs', 'src/daemon/main.js');
