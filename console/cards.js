// Cards as the CDS Hooks UI guidance shows them (indicator, summary, detail,
// source with topic, links, suggestions), and the coverage information of a
// draft order (Da Vinci CRD ext-coverage-information) as text badges.
import { el } from './api.js';
import { renderMarkdown } from './markdown.js';

export const COVERAGE_INFO = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

const INDICATOR_LABEL = { info: 'Info', warning: 'Warning', critical: 'Critical', 'hard-stop': 'Critical' };

// { onSuggestion(card, suggestion), onSmartLink(link) }
export function renderCard(card, handlers) {
  const indicator = INDICATOR_LABEL[card.indicator] ? card.indicator : 'info';
  const topic = card.source && card.source.topic;
  const article = el('article', { class: `card card-${indicator}`, 'data-card': card.uuid || '' },
    el('header', { class: 'card-head' },
      el('span', { class: `indicator indicator-${indicator}` }, INDICATOR_LABEL[indicator]),
      el('h3', { class: 'card-summary' }, card.summary || '(no summary)')),
    card.detail ? renderMarkdown(card.detail) : null,
    card.source ? el('p', { class: 'card-source' }, 'Source: ',
      card.source.url && /^https?:/i.test(card.source.url)
        ? el('a', { href: card.source.url, target: '_blank', rel: 'noopener noreferrer' }, card.source.label)
        : card.source.label,
      topic ? el('span', { class: 'topic' }, topic.display || topic.code) : null) : null);
  if (Array.isArray(card.links) && card.links.length) {
    const list = el('ul', { class: 'card-links' });
    for (const link of card.links) {
      if (!/^https?:\/\//i.test(link.url || '')) continue;
      if (link.type === 'smart') {
        list.append(el('li', {}, el('button', { type: 'button', class: 'link-button',
          onclick: () => handlers.onSmartLink(link) }, `${link.label} (SMART app)`)));
      } else {
        list.append(el('li', {}, el('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer' },
          link.label, el('span', { class: 'sr-only' }, ' (opens in a new tab)'))));
      }
    }
    article.append(list);
  }
  if (Array.isArray(card.suggestions) && card.suggestions.length) {
    const box = el('div', { class: 'suggestions', role: 'group', 'aria-label': 'Suggestions' });
    for (const suggestion of card.suggestions) {
      const button = el('button', { type: 'button', class: 'suggestion', 'data-suggestion': suggestion.uuid || '' },
        suggestion.label || 'Apply suggestion');
      button.addEventListener('click', () => {
        handlers.onSuggestion(card, suggestion);
        button.disabled = true;
        button.textContent = `Applied: ${suggestion.label}`;
      });
      box.append(button);
    }
    article.append(box);
  }
  return article;
}

// The coverage-information extensions of a resource, as {covered, pa, doc[], reasons[], ...}.
export function coverageOf(resource) {
  const found = [];
  for (const ext of (resource && resource.extension) || []) {
    if (ext.url !== COVERAGE_INFO) continue;
    const info = { doc: [], reasons: [], info: [] };
    for (const part of ext.extension || []) {
      if (part.url === 'covered') info.covered = part.valueCode;
      else if (part.url === 'pa-needed') info.pa = part.valueCode;
      else if (part.url === 'doc-needed') info.doc.push(part.valueCode);
      else if (part.url === 'info-needed') info.info.push(part.valueCode);
      else if (part.url === 'reason') info.reasons.push(part.valueCodeableConcept && (part.valueCodeableConcept.text
        || ((part.valueCodeableConcept.coding || [])[0] || {}).display));
      else if (part.url === 'coverage') info.coverage = part.valueReference && part.valueReference.reference;
    }
    found.push(info);
  }
  return found;
}

const COVERED = {
  covered: ['Covered', 'ok'], 'not-covered': ['Not covered', 'bad'], conditional: ['Conditional', 'warn'],
};
const PA = { 'auth-needed': ['Auth needed', 'warn'], 'no-auth': ['No auth needed', 'ok'],
  'satisfied': ['Auth satisfied', 'ok'], 'performpa': ['Performer must get auth', 'warn'] };
const DOC = { clinical: 'Clinical documentation needed', admin: 'Administrative documentation needed',
  'patient': 'Patient documentation needed', conditional: 'Documentation may be needed' };

export function coverageBadges(resource) {
  const box = el('div', { class: 'badges' });
  const infos = coverageOf(resource);
  if (!infos.length) {
    box.append(el('span', { class: 'badge badge-none' }, 'No coverage information yet'));
    return box;
  }
  for (const info of infos) {
    const [coveredText, coveredTone] = COVERED[info.covered] || [info.covered || 'Coverage unknown', 'none'];
    box.append(el('span', { class: `badge badge-${coveredTone}` }, coveredText));
    if (info.pa) {
      const [paText, paTone] = PA[info.pa] || [info.pa, 'none'];
      box.append(el('span', { class: `badge badge-${paTone}` }, paText));
    }
    for (const doc of info.doc)
      box.append(el('span', { class: 'badge badge-warn' }, DOC[doc] || `Documentation: ${doc}`));
    for (const need of info.info) box.append(el('span', { class: 'badge badge-none' }, `Information needed: ${need}`));
    for (const reason of info.reasons.filter(Boolean)) box.append(el('p', { class: 'reason' }, 'Reason: ', reason));
  }
  return box;
}
