/*
 * The module rules of ../shared/ARCHITECTURE.md, checked by dependency-cruiser (scripts/test runs it
 * before the tests; test/architecture.test.ts also shows it failing on a wrong import). A module is a
 * top-level folder of src/, or one folder under core/, server/ or services/. Each may import only the
 * modules listed for it, and another module only through that module's index.ts.
 */
const core = ['core/content', 'core/snapshots', 'core/diff', 'core/metadata', 'core/images', 'core/remotes', 'core/runtime', 'core/volumes', 'core/network', 'core/dockerfile', 'core/events', 'core/cdi'];
const base = ['oci', 'sys', 'util', 'errdefs'];
const ALLOWED = {
  errdefs: [],
  util: ['errdefs'],
  oci: ['util', 'errdefs'],
  sys: ['util', 'errdefs'],
  'core/content': ['oci', 'util', 'errdefs'],
  'core/snapshots': ['sys', 'util', 'errdefs'],
  'core/diff': ['core/content', 'core/snapshots', 'sys', 'oci', 'util', 'errdefs'],
  'core/metadata': ['core/content', 'core/snapshots', 'oci', 'util', 'errdefs'],
  'core/images': ['core/content', 'core/diff', 'core/snapshots', 'core/metadata', 'oci', 'util', 'errdefs'],
  'core/remotes': ['core/content', 'oci', 'util', 'errdefs'],
  'core/runtime': ['sys', 'core/snapshots', 'util', 'errdefs'],
  'core/volumes': ['sys', 'util', 'errdefs'],
  'core/network': ['sys', 'util', 'errdefs'],
  'core/dockerfile': ['oci', 'util', 'errdefs'],
  'core/events': ['util', 'errdefs'],
  // Container Device Interface specs: read and resolved here, applied to a container by the services.
  'core/cdi': ['util', 'errdefs'],
  // The use cases, each its own module; the later ones build on the earlier ones.
  'services/volumes': [...core, ...base],
  'services/networks': [...core, ...base],
  'services/images': [...core, ...base],
  'services/containers': ['services/volumes', 'services/networks', ...core, ...base],
  'services/fs': ['services/containers', 'services/images', 'services/volumes', ...core, ...base],
  'services/check': [...core, ...base],
  'services/pods': ['services/containers', ...core, ...base],
  'services/build': ['services/containers', 'services/fs', 'services/images', ...core, ...base],
  services: ['services/pods', 'services/check', 'services/volumes', 'services/networks', 'services/images', 'services/containers', 'services/fs', 'services/build', ...core, ...base],
  api: ['oci', 'util', 'errdefs'],
  'server/http': ['util', 'errdefs'],
  'server/engine': ['services', 'api', 'server/http', 'oci', 'util', 'errdefs'],
  // The Kubernetes dialect: CRI's gRPC messages to and from the services, never through the Docker one.
  'server/cri': ['services', 'oci', 'util', 'errdefs'],
  'server/registry': ['core/content', 'core/metadata', 'server/http', 'oci', 'util', 'errdefs'],
  cli: ['api', 'oci', 'util', 'errdefs'],
  daemon: null,
  registryd: null,
};
// Packages that only one layer may touch: FFI in sys/, SQLite in core/metadata, HTTP clients at the edges.
const PACKAGES = {
  koffi: ['sys'],
  'better-sqlite3': ['core/metadata'],
  undici: ['core/remotes', 'server/registry'],
  commander: ['cli'],
  '@grpc/grpc-js': ['server/cri'],
  '@grpc/proto-loader': ['server/cri'],
  'js-yaml': ['core/cdi'],
};

const dir = (m) => `^src/${m}/`;
const rules = [];
for (const [m, allowed] of Object.entries(ALLOWED)) {
  // services/ itself is its index.ts only; its folders are modules of their own.
  const from = m === 'services' ? { path: '^src/services/[^/]+\\.ts$' } : { path: dir(m) };
  if (allowed !== null) {
    rules.push({
      name: `${m}-imports`,
      comment: `${m} may import only ${allowed.join(', ') || 'nothing of berth'}`,
      severity: 'error',
      from,
      to: { path: '^src/', pathNot: [m === 'services' ? '^src/services/[^/]+\\.ts$' : dir(m), ...allowed.map(dir)] },
    });
  }
  if (m !== 'services') {
    rules.push({
      name: `${m}-through-index`,
      // A module's sub-library (util/tar/) has an index.ts of its own.
      comment: `other modules reach ${m} only through its index.ts`,
      severity: 'error',
      from: { pathNot: dir(m) },
      to: { path: `${dir(m)}.+`, pathNot: [`${dir(m)}index\\.ts$`, `${dir(m)}[^/]+/index\\.ts$`] },
    });
  }
}
for (const [pkg, owners] of Object.entries(PACKAGES)) {
  rules.push({
    name: `${pkg}-only-in-${owners.join('-')}`,
    severity: 'error',
    from: { path: '^src/', pathNot: owners.map(dir) },
    to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: `(^|/)node_modules/${pkg}/` },
  });
}
// A folder that is in no rule is outside the architecture until it is given its place.
rules.push({
  name: 'not-in-architecture',
  severity: 'error',
  from: { path: '^src/', pathNot: ['^src/services/[^/]+\\.ts$', ...Object.keys(ALLOWED).map(dir)] },
  to: {},
});
rules.push({ name: 'no-unresolvable', severity: 'error', from: { path: '^src/' }, to: { couldNotResolve: true } });
rules.push({ name: 'no-undeclared-package', severity: 'error', from: { path: '^src/' }, to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] } });

module.exports = {
  forbidden: rules,
  options: {
    // Type-only imports count too: a type is as much a dependency as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
