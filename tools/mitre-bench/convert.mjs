// Times MITRE's ClinicalTrials.gov API v2 Study -> FHIR R4 ResearchStudy converter
// (clinical-trial-matching-service, study-fhir-converter.js: createResearchStudyFromClinicalStudy).
//
// Reads NDJSON (one API v2 Study object per line) on stdin. After converting the first --warm records once (JIT and
// module warm-up, like the Python side's warm-up), it times, per record: JSON.parse of the line, the conversion, and
// JSON.stringify of the ResearchStudy (what a real pipeline writes). CPU time is process.cpuUsage() around that loop
// only (Node start-up, module loading and reading stdin excluded). Prints one JSON object on stdout:
//   {studies, cpu_ms, cpu_ms_per_study, parse_ms, convert_ms, stringify_ms, out_bytes, contained: {type: count}}
// parse/convert/stringify are wall-clock splits (performance.now) of the same loop, for orientation only.
// Usage: node convert.mjs [--warm N] [--repeat N] [--dump FILE] < studies.ndjson
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { createResearchStudyFromClinicalStudy } = require('clinical-trial-matching-service/dist/study-fhir-converter.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const warm = Number(opt('--warm', '3'));
const repeat = Number(opt('--repeat', '1'));
const dump = opt('--dump', null);

const lines = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
for (const line of lines.slice(0, warm)) JSON.stringify(createResearchStudyFromClinicalStudy(JSON.parse(line)));

let best = null;
for (let r = 0; r < repeat; r++) {
  const outs = [];
  let parse = 0, convert = 0, stringify = 0, bytes = 0;
  const t0 = process.cpuUsage();
  for (const line of lines) {
    const a = performance.now();
    const study = JSON.parse(line);
    const b = performance.now();
    const rs = createResearchStudyFromClinicalStudy(study);
    const c = performance.now();
    const text = JSON.stringify(rs);
    const d = performance.now();
    parse += b - a; convert += c - b; stringify += d - c;
    bytes += Buffer.byteLength(text);
    outs.push(text);
  }
  const used = process.cpuUsage(t0);
  const cpu = (used.user + used.system) / 1000;
  if (best === null || cpu < best.cpu_ms) best = { cpu_ms: cpu, parse_ms: parse, convert_ms: convert, stringify_ms: stringify, out_bytes: bytes, outs };
}

const contained = {};
for (const text of best.outs) {
  for (const res of JSON.parse(text).contained ?? []) contained[res.resourceType] = (contained[res.resourceType] ?? 0) + 1;
}
if (dump) writeFileSync(dump, best.outs.join('\n') + '\n');
const { outs, ...figures } = best;
process.stdout.write(JSON.stringify({
  node: process.version, studies: lines.length, ...figures, cpu_ms_per_study: best.cpu_ms / lines.length, contained,
}) + '\n');
