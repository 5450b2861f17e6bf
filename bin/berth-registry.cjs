#!/usr/bin/env -S node --max-semi-space-size=1
// berth-registry's launcher (bin/berth-registry links here: a .cjs file, so node starts it without
// its ES module loader, which alone costs ~2 MB of resident memory).
// A 1 MB young generation, as berthd: requests allocate little that lives, and this keeps RSS down
// (the berth CLI passes the same flag when it runs this launcher).
// It runs dist/berth-registry.cjs, the registry as one bundle (scripts/setup builds it), when that is
// newer than the last tsc build, else the compiled modules: one file to compile instead of ~40 to
// resolve and load, which keeps the idle server ~6 MB smaller (bin/launch.cjs; BERTH_DIST, BERTH_NO_BUNDLE).
'use strict';
require('./launch.cjs').launch('berth-registry.cjs', 'src/registryd/main.js');
