// The clinician's view: a patient from the example hook requests (their
// prefetch is sent) or from the FHIR server crdex-server names with
// --console-fhir-server (crdex searches it for the page; the hook call names
// it as fhirServer, sends no prefetch, and crdex fetches what it needs from
// it), draft orders and appointments composed on the page, the real hook call
// to crdex (POST /cds-services/{id}), its cards, and the coverage badges each
// draft order gets from the answer's systemActions.
import { ApiError, callJson, el, tokens } from './api.js';
import { renderCard, coverageBadges } from './cards.js';

const EXAMPLES = ['example-order-sign.json', 'example-appointment-book.json'];
const ORDER_TYPES = ['ServiceRequest', 'MedicationRequest', 'DeviceRequest', 'NutritionOrder', 'VisionPrescription',
  'CommunicationRequest'];

const state = { patients: [], patient: null, drafts: [], codes: [], services: [], next: 1 };

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function patientName(patient) {
  const names = patient.name || [];
  const name = names.find((n) => n.use === 'official') || names.find((n) => n.use !== 'old') || names[0] || {};
  return name.text || [...(name.given || []), name.family].filter(Boolean).join(' ') || `Patient/${patient.id}`;
}

function conceptOf(resource) {
  return resource.code || resource.medicationCodeableConcept || resource.codeCodeableConcept
    || ((resource.serviceType || [])[0]) || {};
}

function codingOf(resource) {
  return (conceptOf(resource).coding || [])[0] || {};
}

function describe(resource) {
  const coding = codingOf(resource);
  return coding.display || conceptOf(resource).text || (resource.text && resource.text.div && resource.text.div.replace(/<[^>]*>/g, ' ').trim())
    || coding.code || resource.resourceType;
}

async function loadPatients() {
  for (const file of EXAMPLES) {
    let request;
    try { request = await callJson('GET', `/console/${file}`); } catch (e) { continue; }
    const patient = request.prefetch && request.prefetch.patient;
    if (!patient) continue;
    let entry = state.patients.find((p) => p.key === `example:${patient.id}`);
    if (!entry) {
      entry = { key: `example:${patient.id}`, patient, prefetch: { ...request.prefetch }, context: request.context,
        orders: [] };
      state.patients.push(entry);
    }
    Object.assign(entry.prefetch, request.prefetch);
    const bundle = request.context.draftOrders || request.context.appointments;
    for (const e of (bundle && bundle.entry) || []) entry.orders.push(e.resource);
  }
  const select = document.getElementById('patient');
  select.addEventListener('change', () => choosePatient(select.value));
  renderPatientChoices();
  if (state.patients.length) choosePatient(state.patients[0].key);
}

// The patient picker: the example patients, then those the last search of
// the FHIR server found.
function renderPatientChoices() {
  const select = document.getElementById('patient');
  const option = (p) => el('option', { value: p.key }, `${patientName(p.patient)} (Patient/${p.patient.id})`);
  const examples = state.patients.filter((p) => !p.fhirServer);
  const fromServer = state.patients.filter((p) => p.fhirServer);
  const groups = [];
  if (examples.length) groups.push(el('optgroup', { label: 'Example patients' }, examples.map(option)));
  if (fromServer.length) groups.push(el('optgroup', { label: `Patients of ${fromServer[0].fhirServer}` },
    fromServer.map(option)));
  if (!groups.length) groups.push(el('option', { value: '' }, 'No example patients installed'));
  select.replaceChildren(...groups);
  if (state.patient) select.value = state.patient.key;
}

function setFhirStatus(text, error = false) {
  const status = document.getElementById('fhir-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

// Asks crdex for the patients of its configured FHIR server. 404: none is
// configured, and the page offers the example patients only.
async function searchFhirPatients(event) {
  if (event) event.preventDefault();
  const name = document.getElementById('fhir-name').value.trim();
  const token = document.getElementById('fhir-token').value.trim();
  tokens.set('fhir', token);
  const headers = token ? { 'X-FHIR-Access-Token': token } : {};
  let answer;
  try {
    answer = await callJson('GET', `/console/api/patients${name ? `?name=${encodeURIComponent(name)}` : ''}`,
      { headers });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && !state.fhirServer) return;
    setFhirStatus(`The patient search failed: HTTP ${e.status || ''} ${e.message}`, true);
    return;
  }
  state.fhirServer = answer.fhirServer;
  document.getElementById('fhir-patients').hidden = false;
  document.getElementById('fhir-server-name').textContent = answer.fhirServer;
  const kept = state.patients.filter((p) => !p.fhirServer || p === state.patient);
  const found = (answer.patients || []).map((p) => ({
    key: `fhir:${p.id}`, fhirServer: answer.fhirServer, identifiers: p.identifiers || [],
    patient: { resourceType: 'Patient', id: p.id, name: p.name ? [{ text: p.name }] : [], birthDate: p.birthDate,
      gender: p.gender },
    prefetch: {}, context: { userId: 'Practitioner/example' }, orders: [] }));
  state.patients = [...kept.filter((p) => !found.some((f) => f.key === p.key)), ...found];
  renderPatientChoices();
  setFhirStatus(`${found.length} patient(s) of ${answer.fhirServer}${answer.more ? ' (more: narrow the name)' : ''}`
    + (found.length ? ': pick one above.' : '.'));
}

function choosePatient(key) {
  const entry = state.patients.find((p) => p.key === key);
  if (!entry) return;
  state.patient = entry;
  state.drafts = entry.orders.map((o) => structuredClone(o));
  const facts = document.getElementById('patient-facts');
  const p = entry.patient;
  const coverage = entry.prefetch.coverage;
  const coverageResource = coverage && (coverage.resourceType === 'Bundle' ? ((coverage.entry || [])[0] || {}).resource
    : coverage);
  const payor = coverageResource && ((coverageResource.payor || [])[0] || {});
  const coverageText = entry.fhirServer ? 'fetched by crdex from the FHIR server when the hook is called'
    : payor ? (payor.display || payor.reference) : 'none in prefetch';
  const rows = [['Name', patientName(p)], ['Born', p.birthDate || 'unknown'], ['Gender', p.gender || 'unknown']];
  if (entry.identifiers && entry.identifiers.length) rows.push(['Identifiers', entry.identifiers.join(', ')]);
  rows.push(['Source', entry.fhirServer || 'example hook request'], ['Coverage', coverageText]);
  facts.replaceChildren(...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
  document.getElementById('cards').replaceChildren();
  setStatus(entry.fhirServer && !entry.orders.length ? 'Add a draft order on the left, then sign it.' : '');
  renderDrafts();
}

function setStatus(text, error = false) {
  const status = document.getElementById('hook-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

function renderDrafts() {
  const list = document.getElementById('orders');
  list.replaceChildren();
  if (!state.drafts.length) list.append(el('li', { class: 'empty' }, 'No draft orders: add one on the left.'));
  for (const resource of state.drafts) {
    const coding = codingOf(resource);
    const key = `${resource.resourceType}/${resource.id}`;
    list.append(el('li', { class: 'order', 'data-order': key },
      el('div', { class: 'order-head' },
        el('span', { class: 'order-type' }, resource.resourceType),
        el('span', { class: 'order-title' }, describe(resource)),
        el('button', { type: 'button', class: 'small', 'aria-label': `Remove ${key}`,
          onclick: () => { state.drafts = state.drafts.filter((r) => r !== resource); renderDrafts(); } }, 'Remove')),
      el('div', { class: 'order-meta' }, `${key} · ${coding.system || ''} ${coding.code || ''}`),
      coverageBadges(resource)));
  }
}

function serviceFor(hook) {
  const service = state.services.find((s) => s.hook === hook);
  return service ? service.id : `crdex-${hook}`;
}

async function sendHook() {
  const hook = document.getElementById('hook').value;
  const entry = state.patient;
  if (!entry) return;
  const appointments = state.drafts.filter((r) => r.resourceType === 'Appointment');
  const orders = state.drafts.filter((r) => r.resourceType !== 'Appointment');
  const bundle = (resources) => ({ resourceType: 'Bundle', type: 'collection',
    entry: resources.map((resource) => ({ resource })) });
  const context = { userId: entry.context.userId || 'Practitioner/example', patientId: entry.patient.id };
  if (entry.context.encounterId) context.encounterId = entry.context.encounterId;
  if (hook === 'appointment-book') context.appointments = bundle(appointments);
  else {
    context.draftOrders = bundle(orders);
    if (hook === 'order-select') context.selections = orders.map((r) => `${r.resourceType}/${r.id}`);
  }
  const request = { hookInstance: newId(), hook, context };
  if (entry.fhirServer) {
    // No prefetch: crdex fetches the patient, coverage and the rest from
    // fhirServer with the clinician's token (CDS Hooks fhirAuthorization).
    request.fhirServer = entry.fhirServer;
    const token = tokens.get('fhir');
    if (token) request.fhirAuthorization = { access_token: token, token_type: 'Bearer', expires_in: 300,
      scope: `patient/*.read`, subject: 'crdex-console', patient: entry.patient.id };
  } else {
    request.prefetch = entry.prefetch;
  }
  setStatus(`Calling ${serviceFor(hook)}…`);
  const button = document.getElementById('send-hook');
  button.disabled = true;
  try {
    const answer = await callJson('POST', `/cds-services/${encodeURIComponent(serviceFor(hook))}`, { body: request });
    state.lastService = serviceFor(hook);
    applySystemActions(answer.systemActions || []);
    renderCards(answer.cards || []);
    const count = (answer.cards || []).length;
    const untold = entry.fhirServer && !request.fhirAuthorization
      ? ' · no access token was given, so crdex could not read the FHIR server' : '';
    setStatus(`${count} card(s) from ${serviceFor(hook)} · hook instance ${request.hookInstance}${untold}`);
  } catch (e) {
    const hint = e.status === 401 ? ' (this crdex server checks CDS client JWTs: see docs/console.md)' : '';
    setStatus(`The hook call failed: HTTP ${e.status || ''} ${e.message}${hint}`, true);
  } finally {
    button.disabled = false;
  }
}

function replaceDraft(resource) {
  const index = state.drafts.findIndex((r) => r.resourceType === resource.resourceType && r.id === resource.id);
  if (index >= 0) state.drafts[index] = resource;
  return index >= 0;
}

function applySystemActions(actions) {
  for (const action of actions) if (action.type === 'update' && action.resource) replaceDraft(action.resource);
  renderDrafts();
}

// A suggestion's actions on the page's draft orders: create adds, update
// replaces the order with the same id, delete removes the named ones.
function applySuggestion(card, suggestion) {
  for (const action of suggestion.actions || []) {
    if (action.type === 'create' && action.resource) {
      const resource = structuredClone(action.resource);
      if (!resource.id) resource.id = `new-${state.next++}`;
      state.drafts.push(resource);
    } else if (action.type === 'update' && action.resource) {
      if (!replaceDraft(structuredClone(action.resource))) state.drafts.push(structuredClone(action.resource));
    } else if (action.type === 'delete') {
      const named = action.resource ? [`${action.resource.resourceType}/${action.resource.id}`] : [];
      const ids = action.resourceId || named;
      state.drafts = state.drafts.filter((r) => !ids.includes(`${r.resourceType}/${r.id}`));
    }
  }
  renderDrafts();
  setStatus(`Applied "${suggestion.label}": sign again to check the changed orders.`);
  sendFeedback(card, suggestion);
}

// CDS Hooks feedback: the card was accepted with this suggestion (the payer
// view's feedback per rule counts it).
async function sendFeedback(card, suggestion) {
  if (!state.lastService || !card.uuid) return;
  const item = { card: card.uuid, outcome: 'accepted', outcomeTimestamp: new Date().toISOString() };
  if (suggestion.uuid) item.acceptedSuggestions = [{ id: suggestion.uuid }];
  try {
    await callJson('POST', `/cds-services/${encodeURIComponent(state.lastService)}/feedback`,
      { body: { feedback: [item] } });
  } catch (e) {
    setStatus(`Applied "${suggestion.label}"; the feedback was refused: ${e.message}`, true);
  }
}

function openSmartLink(link) {
  // The link as the card gives it: crdex's launch helper (docs/smart.md) has
  // already made it a launch URL when the EHR asked for crdex-smart-launch.
  window.open(link.url, '_blank', 'noopener,noreferrer');
}

function renderCards(cards) {
  const box = document.getElementById('cards');
  box.replaceChildren();
  if (!cards.length) box.append(el('p', { class: 'empty' }, 'No cards: nothing the payer needs to tell you.'));
  for (const card of cards) box.append(renderCard(card, { onSuggestion: applySuggestion, onSmartLink: openSmartLink }));
}

async function loadCodes() {
  try {
    state.codes = (await callJson('GET', '/console/api/codes')).codes || [];
  } catch (e) {
    document.getElementById('code-match').textContent = `Codes unavailable (${e.message}); type system|code.`;
  }
  const label = (c) => `${c.code} · ${c.display || c.description || c.rule} · ${c.payer}`;
  document.getElementById('code-list').replaceChildren(...state.codes.map((c) => el('option', { value: label(c) })));
  state.codeLabel = label;
}

function findCode(text) {
  const typed = text.trim();
  const byLabel = state.codes.find((c) => state.codeLabel && state.codeLabel(c) === typed);
  if (byLabel) return byLabel;
  const byCode = state.codes.find((c) => c.code === typed.split(' ')[0]);
  if (byCode) return byCode;
  const bar = typed.indexOf('|');
  if (bar > 0) return { system: typed.slice(0, bar), code: typed.slice(bar + 1) };
  return null;
}

function composeOrder(event) {
  event.preventDefault();
  const type = document.getElementById('order-type').value;
  const found = findCode(document.getElementById('code-search').value);
  const hint = document.getElementById('code-match');
  if (!found || !state.patient) {
    hint.textContent = 'Pick a code from the list, or type system|code.';
    return;
  }
  const coding = { system: found.system, code: found.code, ...(found.display ? { display: found.display } : {}) };
  const concept = { coding: [coding],
    text: found.display || found.description || found.code };
  const resource = { resourceType: type, id: `new-${state.next++}`, status: 'draft',
    intent: type === 'MedicationRequest' ? 'order' : 'original-order',
    subject: { reference: `Patient/${state.patient.patient.id}` }, authoredOn: new Date().toISOString().slice(0, 10) };
  if (type === 'MedicationRequest') resource.medicationCodeableConcept = concept;
  else if (type === 'DeviceRequest') resource.codeCodeableConcept = concept;
  else resource.code = concept;
  state.drafts.push(resource);
  hint.textContent = `Added ${type} ${found.code}.`;
  document.getElementById('code-search').value = '';
  renderDrafts();
}

function composeAppointment(event) {
  event.preventDefault();
  const found = findCode(document.getElementById('appt-code').value);
  const start = document.getElementById('appt-start').value;
  if (!found || !start || !state.patient) return;
  const begins = new Date(start);
  const ends = new Date(begins.getTime() + 30 * 60 * 1000);
  state.drafts.push({ resourceType: 'Appointment', id: `new-${state.next++}`, status: 'proposed',
    serviceType: [{ coding: [{ system: found.system, code: found.code }] }],
    start: begins.toISOString(), end: ends.toISOString(),
    participant: [{ actor: { reference: `Patient/${state.patient.patient.id}` }, status: 'needs-action' }] });
  document.getElementById('hook').value = 'appointment-book';
  updateSendLabel();
  renderDrafts();
}

function updateSendLabel() {
  const hook = document.getElementById('hook').value;
  document.getElementById('send-hook').textContent =
    hook === 'order-sign' ? 'Sign orders' : hook === 'order-select' ? 'Select orders' : 'Book appointment';
}

export async function startEhr() {
  document.getElementById('compose').addEventListener('submit', composeOrder);
  document.getElementById('appointment').addEventListener('submit', composeAppointment);
  document.getElementById('send-hook').addEventListener('click', sendHook);
  const hookSelect = document.getElementById('hook');
  hookSelect.append(el('option', { value: 'appointment-book' }, 'appointment-book (book)'));
  hookSelect.addEventListener('change', updateSendLabel);
  try { state.services = (await callJson('GET', '/cds-services')).services || []; } catch (e) { /* defaults */ }
  document.getElementById('fhir-search').addEventListener('submit', searchFhirPatients);
  document.getElementById('fhir-token').value = tokens.get('fhir');
  await Promise.all([loadPatients(), loadCodes()]);
  await searchFhirPatients();
  document.body.dataset.ehrReady = 'true';
}

export { ORDER_TYPES };
