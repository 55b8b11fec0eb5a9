#!/usr/bin/env node
// Checks real answers of crdex-server against its OpenAPI 3.1 document, with
// @hyperjump/json-schema (its OpenAPI 3.1 dialect: the document itself is
// validated against the OAS 3.1 schema, and each body against the schema the
// document declares for it).
//
// Usage: node check-answers.mjs OPENAPI.json EXCHANGES.json
// EXCHANGES.json: [{method, path (concrete, with its query), status, contentType, body}].
// For each answer: the path matches one of the document's path templates (a
// literal segment beats a parameter), the operation exists for the method, the
// status is declared (exactly, or as 4XX / 5XX, or by `default`), the media
// type is one the response declares (or the response declares no content and
// the body is empty), and a JSON body is valid against the declared schema.
// Prints one line per problem and a summary; exits 0 when every answer is
// valid, 1 otherwise, 2 on bad input.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate } from '@hyperjump/json-schema/openapi-3-1';

const kOasSchema = 'https://spec.openapis.org/oas/3.1/schema-base';

function pointerSegment(text) {
  return encodeURIComponent(text.replaceAll('~', '~0').replaceAll('/', '~1'));
}

// The document's template for a concrete path: same number of segments, each
// literal equal or a {parameter}; among several, the most literal one first.
function templateOf(paths, concrete) {
  const segments = concrete.split('/');
  let best = null;
  let bestScore = -1;
  for (const template of Object.keys(paths)) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let score = 0;
    let fits = true;
    for (let i = 0; i < parts.length && fits; ++i) {
      if (/^\{[^}]+\}$/.test(parts[i])) fits = segments[i].length > 0;
      else if (parts[i] === segments[i]) score += 1 << (parts.length - i);
      else fits = false;
    }
    if (fits && score > bestScore) {
      best = template;
      bestScore = score;
    }
  }
  return best;
}

function declaredStatus(responses, status) {
  const exact = String(status);
  if (responses[exact]) return exact;
  const range = `${exact[0]}XX`;
  if (responses[range]) return range;
  return responses.default ? 'default' : null;
}

function isJson(mediaType) {
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(mediaType);
}

function summarise(output, limit = 3) {
  const leaves = [];
  const walk = (node) => {
    if (!node.errors || node.errors.length === 0) leaves.push(`${node.instanceLocation} ${node.absoluteKeywordLocation}`);
    else node.errors.forEach(walk);
  };
  (output.errors || []).forEach(walk);
  return leaves.slice(0, limit).join('; ');
}

async function main() {
  if (process.argv.length !== 4) {
    console.error('usage: node check-answers.mjs OPENAPI.json EXCHANGES.json');
    return 2;
  }
  const documentPath = resolve(process.argv[2]);
  let document;
  let exchanges;
  try {
    document = JSON.parse(readFileSync(documentPath, 'utf8'));
    exchanges = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  } catch (e) {
    console.error(`cannot read the input: ${e.message}`);
    return 2;
  }
  const problems = [];
  const documentCheck = await validate(kOasSchema, document, 'BASIC');
  if (!documentCheck.valid)
    problems.push(`the document is not valid OpenAPI 3.1: ${summarise(documentCheck, 10)}`);
  const documentUrl = pathToFileURL(documentPath).href;
  let checkedBodies = 0;
  for (const e of exchanges) {
    const what = `${e.method} ${e.path} -> ${e.status}`;
    const concrete = e.path.split('?')[0];
    const template = templateOf(document.paths, concrete);
    if (!template) {
      problems.push(`${what}: no path of the document matches`);
      continue;
    }
    const method = e.method.toLowerCase();
    const operation = document.paths[template][method];
    if (!operation) {
      problems.push(`${what}: ${template} has no ${method} operation`);
      continue;
    }
    const status = declaredStatus(operation.responses || {}, e.status);
    if (!status) {
      problems.push(`${what}: status ${e.status} is not declared for ${method} ${template}`);
      continue;
    }
    let response = operation.responses[status];
    if (response.$ref) response = response.$ref.split('/').slice(1).reduce((node, key) => node[key], document);
    const mediaType = (e.contentType || '').split(';')[0].trim().toLowerCase();
    const content = response.content || {};
    if (Object.keys(content).length === 0) {
      if (e.body.length > 0) problems.push(`${what}: the document declares no body, the answer has one`);
      continue;
    }
    if (!content[mediaType]) {
      problems.push(`${what}: content type "${mediaType}" is not one of ${Object.keys(content).join(', ')}`);
      continue;
    }
    const schema = content[mediaType].schema;
    if (!schema || !isJson(mediaType)) continue;
    let body;
    try {
      body = JSON.parse(e.body);
    } catch (error) {
      problems.push(`${what}: the body is not JSON (${error.message})`);
      continue;
    }
    const pointer = operation.responses[status].$ref
      ? operation.responses[status].$ref.slice(1) + `/content/${pointerSegment(mediaType)}/schema`
      : `/paths/${pointerSegment(template)}/${method}/responses/${pointerSegment(status)}/content/${pointerSegment(mediaType)}/schema`;
    const output = await validate(`${documentUrl}#${pointer}`, body, 'DETAILED');
    ++checkedBodies;
    if (!output.valid) problems.push(`${what}: the body does not match the schema: ${summarise(output)}`);
  }
  for (const problem of problems) console.log(problem);
  console.log(`${exchanges.length - problems.length} of ${exchanges.length} answers valid (${checkedBodies} bodies checked against their schema); ${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
