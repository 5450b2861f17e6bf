// The shared part of bin/berthd.cjs and bin/berth-registry.cjs: run `bundle` (one of the CommonJS
// bundles scripts/setup puts in dist/) while it is newer than the last tsc build, else the compiled
// ES module `modulePath`; either one's main() gets the command line. BERTH_DIST points at another
// build of the tree (tests of work in progress); default ../dist. BERTH_NO_BUNDLE=1 skips the bundle.
'use strict';
const { statSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

exports.launch = (bundleName, modulePath) => {
  const dist = process.env.BERTH_DIST ? resolve(process.env.BERTH_DIST) : join(__dirname, '../dist');
  const bundle = join(dist, bundleName);
  const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs;
  const built = mtime(bundle);
  const args = process.argv.slice(2);
  if (!process.env.BERTH_NO_BUNDLE && built !== undefined && built >= (mtime(join(dist, '.tsbuildinfo')) ?? 0)) {
    require(bundle).main(args);
  } else {
    import(pathToFileURL(join(dist, modulePath)).href).then((m) => m.main(args));
  }
};
