#!/usr/bin/env -S node --max-semi-space-size=1
// berth-registry's launcher (bin/berth-registry links here: a .cjs file, so node starts it without
// its ES module loader, which alone costs ~2 MB of resident memory).
// A 1 MB young generation, as berthd: requests allocate little that lives, and this keeps RSS down
// (the berth CLI passes the same flag when it runs this launcher).
// It runs dist/berth-registry.cjs, the registry as one bundle (scripts/setup builds it), when that is
// newer than the last tsc build, else the compiled modules: one file to compile instead of ~40 to
// resolve and load, which keeps the idle server ~6 MB smaller. BERTH_DIST points at another build of
// the tree (tests of work in progress); default ../dist. BERTH_NO_BUNDLE=1 skips the bundle.
'use strict';
const { statSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
const dist = process.env.BERTH_DIST ? resolve(process.env.BERTH_DIST) : join(__dirname, '../dist');
const bundle = join(dist, 'berth-registry.cjs');
const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs;
const built = mtime(bundle);
const args = process.argv.slice(2);
if (!process.env.BERTH_NO_BUNDLE && built !== undefined && built >= (mtime(join(dist, '.tsbuildinfo')) ?? 0)) {
  require(bundle).main(args);
} else {
  import(pathToFileURL(join(dist, 'src/registryd/main.js')).href).then((m) => m.main(args));
}
