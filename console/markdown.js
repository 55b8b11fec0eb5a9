// The small Markdown subset CDS Hooks card details use, rendered as DOM nodes
// (never as HTML text, so nothing in a card can inject markup): paragraphs,
// bulleted and numbered lists, **bold**, *italics* / _italics_, `code` and
// [links](https://...) whose URL is http(s) (opened in a new tab).
import { el } from './api.js';

const INLINE = /(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*|_[^_\s][^_]*_|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/;

export function inline(text) {
  const out = [];
  let rest = text;
  while (rest.length) {
    const match = INLINE.exec(rest);
    if (!match) { out.push(rest); break; }
    if (match.index > 0) out.push(rest.slice(0, match.index));
    const token = match[0];
    if (token.startsWith('**') || token.startsWith('__')) out.push(el('strong', {}, inline(token.slice(2, -2))));
    else if (token.startsWith('`')) out.push(el('code', {}, token.slice(1, -1)));
    else if (token.startsWith('[')) {
      const close = token.indexOf('](');
      const label = token.slice(1, close);
      const url = token.slice(close + 2, -1);
      if (/^https?:\/\//i.test(url))
        out.push(el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label));
      else out.push(label);
    } else out.push(el('em', {}, inline(token.slice(1, -1))));
    rest = rest.slice(match.index + token.length);
  }
  return out;
}

export function renderMarkdown(source) {
  const root = el('div', { class: 'markdown' });
  const blocks = String(source || '').replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (!lines.length) continue;
    const bullet = lines.every((l) => /^\s*[-*+]\s+/.test(l));
    const numbered = lines.every((l) => /^\s*\d+[.)]\s+/.test(l));
    if (bullet || numbered) {
      const list = el(bullet ? 'ul' : 'ol');
      for (const l of lines) list.append(el('li', {}, inline(l.replace(/^\s*([-*+]|\d+[.)])\s+/, ''))));
      root.append(list);
    } else {
      const p = el('p');
      lines.forEach((l, i) => { if (i) p.append(el('br')); p.append(...inline(l)); });
      root.append(p);
    }
  }
  return root;
}
