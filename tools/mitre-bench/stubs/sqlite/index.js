'use strict';
// Stub for the optional native dependency 'sqlite' (see package.json). Any use is a clear error, never a silent no-op.
function unavailable() {
  throw new Error("'sqlite' is stubbed in tools/mitre-bench: the study-fhir-converter benchmark opens no database");
}
module.exports = new Proxy({}, { get: (_t, key) => (key === '__esModule' ? false : unavailable) });
