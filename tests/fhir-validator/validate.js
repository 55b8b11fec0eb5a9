#!/usr/bin/env node
// Validates FHIR R4 resources with FHIR.js (npm "fhir"), an independent check
// of what crdex emits. Usage: node validate.js FILE — FILE holds a JSON array of
// resources. Prints {"valid": bool, "problems": [...]} and exits 0 when every
// resource is valid (no error-severity message), 1 otherwise, 2 on bad input.
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');

function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node validate.js FILE');
    return 2;
  }
  let resources;
  try {
    resources = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  } catch (e) {
    console.error(`cannot read ${process.argv[2]}: ${e.message}`);
    return 2;
  }
  if (!Array.isArray(resources)) {
    console.error('the file must hold a JSON array of resources');
    return 2;
  }
  const fhir = new Fhir();
  const problems = [];
  resources.forEach((resource, index) => {
    const result = fhir.validate(resource);
    for (const message of result.messages) {
      problems.push({ index, resourceType: resource.resourceType, ...message });
    }
  });
  const valid = !problems.some((p) => p.severity === 'error');
  console.log(JSON.stringify({ valid, count: resources.length, problems }));
  return valid ? 0 : 1;
}

process.exitCode = main();
