// The payer's view: the rule set and its versions (publisher token), a diff
// of two versions, a dry run of an edited set against recorded calls,
// publish and roll back with a confirmation; feedback per rule and the audit
// log (admin token). Tokens live in sessionStorage only.
import { callJson, el, svgEl, tokens, confirmAction } from './api.js';
import { renderDiff } from './diff.js';
import { coverageOf, COVERAGE_INFO } from './cards.js';

const view = { payer: '', versions: [] };

function showError(error) {
  const box = document.getElementById('payer-error');
  if (!error) { box.hidden = true; box.textContent = ''; return; }
  box.hidden = false;
  box.textContent = error.status === 401
    ? `401 Unauthorized: crdex refused the token (${error.message}). Enter the payer's publisher token.`
    : error.status === 403 ? `403 Forbidden: ${error.message}` : `Error ${error.status || ''}: ${error.message}`;
}

const rulesPath = (suffix = '') => `/payers/${encodeURIComponent(view.payer)}/rules${suffix}`;
const publisher = () => ({ token: tokens.get('publisher') });

async function openView(event) {
  if (event) event.preventDefault();
  view.payer = document.getElementById('payer-id').value.trim();
  tokens.set('payer', view.payer);
  tokens.set('publisher', document.getElementById('publisher-token').value);
  tokens.set('admin', document.getElementById('admin-token').value);
  document.getElementById('payer-content').hidden = true;
  try {
    const current = await callJson('GET', rulesPath(), publisher());
    document.getElementById('rules-editor').value = JSON.stringify(current.ruleSet, null, 2);
    await loadVersions();
    showError(null);
    document.getElementById('payer-content').hidden = false;
    document.getElementById('dry-run-result').replaceChildren();
    document.getElementById('diff').replaceChildren();
    setEditorStatus(`Version ${current.version} is current.`);
    loadFeedback();
    searchAudit();
  } catch (e) {
    showError(e);
  }
}

function setEditorStatus(text, error = false) {
  const status = document.getElementById('editor-status');
  status.textContent = text;
  status.classList.toggle('error', error);
}

async function loadVersions() {
  const answer = await callJson('GET', rulesPath('/versions'), publisher());
  view.versions = (answer.versions || []).sort((a, b) => b.version - a.version);
  const body = document.querySelector('#versions tbody');
  body.replaceChildren(...view.versions.map((v, index) => el('tr', { 'data-version': String(v.version) },
    el('th', { scope: 'row' }, `v${v.version}`, v.current ? el('span', { class: 'badge badge-ok' }, 'Current') : null),
    el('td', {}, v.author), el('td', {}, v.createdAt), el('td', {}, v.comment || '—'),
    el('td', {}, el('label', { class: 'inline' },
      el('input', { type: 'checkbox', class: 'compare', value: String(v.version), checked: index < 2 }),
      el('span', { class: 'sr-only' }, `Compare version ${v.version}`))),
    el('td', {}, v.current ? '' : el('button', { type: 'button', class: 'small', onclick: () => rollback(v.version) },
      `Roll back to v${v.version}`)))));
}

async function showDiff() {
  const chosen = [...document.querySelectorAll('#versions .compare:checked')]
    .map((c) => Number(c.value)).sort((a, b) => a - b);
  const box = document.getElementById('diff');
  if (chosen.length !== 2) {
    box.replaceChildren(el('p', { class: 'status' }, 'Select exactly two versions to compare.'));
    return;
  }
  try {
    const [a, b] = await Promise.all(chosen.map((v) => callJson('GET', rulesPath(`/versions/${v}`), publisher())));
    box.replaceChildren(renderDiff(`v${a.version}`, JSON.stringify(a.ruleSet, null, 2),
      `v${b.version}`, JSON.stringify(b.ruleSet, null, 2)));
  } catch (e) { showError(e); }
}

function editedRuleSet() {
  try {
    return JSON.parse(document.getElementById('rules-editor').value);
  } catch (e) {
    setEditorStatus(`The rule set is not valid JSON: ${e.message}`, true);
    return null;
  }
}

function summarise(extensionText) {
  let parts;
  try { parts = JSON.parse(extensionText || '[]'); } catch (e) { return extensionText || '—'; }
  if (!Array.isArray(parts) || !parts.length) return '—';
  const info = coverageOf({ extension: [{ url: COVERAGE_INFO, extension: parts }] })[0];
  return [info.covered, info.pa, ...info.doc.map((d) => `doc: ${d}`)].filter(Boolean).join(', ');
}

async function dryRun() {
  const ruleSet = editedRuleSet();
  if (!ruleSet) return;
  const lastRecorded = Number(document.getElementById('last-n').value) || 50;
  const box = document.getElementById('dry-run-result');
  setEditorStatus('Running the edited rule set against the recorded calls…');
  try {
    const answer = await callJson('POST', rulesPath(':dry-run'), { ...publisher(), body: { ruleSet, lastRecorded } });
    const rows = [];
    for (const call of answer.recorded || [])
      for (const order of call.orders || [])
        if (order.changed) rows.push(el('tr', {}, el('td', {}, call.recordedAt), el('td', {}, call.service),
          el('td', {}, el('code', {}, call.hookInstance)), el('th', { scope: 'row' }, order.order),
          el('td', {}, summarise(order.current)), el('td', { class: 'changed' }, summarise(order.candidate))));
    const changed = answer.changedRequests || 0;
    setEditorStatus(`Dry run: ${changed} of ${answer.requests || 0} recorded call(s) would change.`);
    box.replaceChildren(rows.length ? el('table', { class: 'data', id: 'dry-run-table' },
      el('caption', {}, 'Decisions that would change'),
      el('thead', {}, el('tr', {}, ...['Recorded', 'Service', 'Hook instance', 'Order', 'Now', 'With the edit']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows)) : el('p', { class: 'empty' }, 'No recorded decision would change.'));
  } catch (e) {
    setEditorStatus(`Dry run refused: ${e.message}`, true);
    if (e.status === 401) showError(e);
  }
}

async function publish() {
  const ruleSet = editedRuleSet();
  if (!ruleSet) return;
  const ok = await confirmAction('Publish the rule set?',
    `The edited rule set becomes the current rules of ${view.payer} for every hook call from now on.`, 'Publish');
  if (!ok) return;
  const comment = document.getElementById('publish-comment').value.trim();
  try {
    const answer = await callJson('PUT', rulesPath(), { ...publisher(), body: ruleSet,
      headers: { 'X-Crdex-Author': 'crdex console', ...(comment ? { 'X-Crdex-Comment': comment } : {}) } });
    setEditorStatus(`Published version ${answer.version}.`);
    await loadVersions();
  } catch (e) {
    setEditorStatus(`Publishing failed: ${e.message}`, true);
  }
}

async function rollback(version) {
  const ok = await confirmAction(`Roll back to v${version}?`,
    `Version ${version} becomes the current rules of ${view.payer} again (as a new version).`, 'Roll back');
  if (!ok) return;
  try {
    const answer = await callJson('POST', rulesPath('/rollback'), { ...publisher(), body: { version } });
    setEditorStatus(`Rolled back: version ${answer.version} is current.`);
    const current = await callJson('GET', rulesPath(), publisher());
    document.getElementById('rules-editor').value = JSON.stringify(current.ruleSet, null, 2);
    await loadVersions();
  } catch (e) {
    setEditorStatus(`Rolling back failed: ${e.message}`, true);
  }
}

function adminMissing(box) {
  box.replaceChildren(el('p', { class: 'hint' }, 'Enter the admin token above to see this (crdex /admin API).'));
}

function barChart(rules) {
  const rowHeight = 34, labelWidth = 260, barWidth = 360, width = labelWidth + barWidth + 140;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${rules.length * rowHeight + 10}`, role: 'img',
    class: 'chart', 'aria-label': 'Accepted and overridden cards per rule' });
  rules.forEach((r, i) => {
    const total = r.accepted + r.overridden;
    const y = i * rowHeight + 5;
    const acceptedWidth = total ? (r.accepted / total) * barWidth : 0;
    svg.append(
      svgEl('text', { x: 0, y: y + 18, class: 'chart-label' }, r.rule || '(unattributed)'),
      svgEl('rect', { x: labelWidth, y, width: barWidth, height: 24, class: 'bar-track' }),
      svgEl('rect', { x: labelWidth, y, width: acceptedWidth, height: 24, class: 'bar-accepted' },
        svgEl('title', {}, `${r.accepted} accepted`)),
      svgEl('rect', { x: labelWidth + acceptedWidth, y, width: barWidth - acceptedWidth, height: total ? 24 : 0,
        class: 'bar-overridden' }, svgEl('title', {}, `${r.overridden} overridden`)),
      svgEl('text', { x: labelWidth + barWidth + 8, y: y + 18, class: 'chart-value' },
        total ? `${Math.round((100 * r.accepted) / total)}% accepted` : 'no feedback'));
  });
  return svg;
}

async function loadFeedback() {
  const box = document.getElementById('feedback');
  if (!tokens.get('admin')) return adminMissing(box);
  try {
    const answer = await callJson('GET', `/admin/feedback?payer=${encodeURIComponent(view.payer)}`,
      { token: tokens.get('admin') });
    const rules = (answer.rules || []).filter((r) => !r.unattributed);
    if (!rules.length) return box.replaceChildren(el('p', { class: 'empty' }, 'No feedback recorded yet.'));
    box.replaceChildren(barChart(rules), el('table', { class: 'data' },
      el('caption', { class: 'sr-only' }, 'Feedback per rule'),
      el('thead', {}, el('tr', {}, ...['Rule', 'Version', 'Accepted', 'Overridden', 'Acceptance rate']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rules.map((r) => {
        const total = r.accepted + r.overridden;
        return el('tr', {}, el('th', { scope: 'row' }, r.rule), el('td', {}, `v${r.ruleSetVersion}`),
          el('td', {}, r.accepted), el('td', {}, r.overridden),
          el('td', {}, total ? `${Math.round((100 * r.accepted) / total)}%` : '—'));
      }))),
    el('p', { class: 'legend' }, el('span', { class: 'swatch swatch-accepted' }), 'accepted ',
      el('span', { class: 'swatch swatch-overridden' }), 'overridden'));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Feedback refused: HTTP ${e.status} ${e.message}`));
  }
}

async function searchAudit(event) {
  if (event) event.preventDefault();
  const box = document.getElementById('audit');
  if (!tokens.get('admin')) return adminMissing(box);
  const params = new URLSearchParams({ limit: '50', payer: view.payer });
  const patient = document.getElementById('audit-patient').value.trim();
  const instance = document.getElementById('audit-instance').value.trim();
  const from = document.getElementById('audit-from').value;
  const to = document.getElementById('audit-to').value;
  if (patient) params.set('patient', patient);
  if (instance) params.set('hookInstance', instance);
  if (from) params.set('from', new Date(from).toISOString());
  if (to) params.set('to', new Date(to).toISOString());
  try {
    const answer = await callJson('GET', `/admin/audit?${params}`, { token: tokens.get('admin') });
    const entries = answer.entries || [];
    box.replaceChildren(entries.length ? el('table', { class: 'data', id: 'audit-table' },
      el('caption', { class: 'sr-only' }, 'Recorded hook calls'),
      el('thead', {}, el('tr', {}, ...['Recorded', 'Service', 'Patient', 'Hook instance', 'Status', 'Cards', 'Took']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, entries.map((e) => el('tr', {}, el('td', {}, e.recordedAt), el('td', {}, e.service),
        el('td', {}, e.patientId || '—'), el('td', {}, el('code', {}, e.hookInstance || '—')),
        el('td', {}, e.status),
        el('td', {}, e.response && e.response.cards ? e.response.cards.length : 0),
        el('td', {}, `${(e.durationMicros / 1000).toFixed(1)} ms`)))))
      : el('p', { class: 'empty' }, 'No recorded calls match.'));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Audit log refused: HTTP ${e.status} ${e.message}`));
  }
}

export function startPayer() {
  document.getElementById('payer-id').value = tokens.get('payer') || document.getElementById('payer-id').value;
  document.getElementById('publisher-token').value = tokens.get('publisher');
  document.getElementById('admin-token').value = tokens.get('admin');
  document.getElementById('credentials').addEventListener('submit', openView);
  document.getElementById('forget').addEventListener('click', () => {
    tokens.clear();
    for (const id of ['publisher-token', 'admin-token', 'fhir-token']) document.getElementById(id).value = '';
    document.getElementById('payer-content').hidden = true;
  });
  document.getElementById('show-diff').addEventListener('click', showDiff);
  document.getElementById('dry-run').addEventListener('click', dryRun);
  document.getElementById('publish').addEventListener('click', publish);
  document.getElementById('audit-search').addEventListener('submit', searchAudit);
}
