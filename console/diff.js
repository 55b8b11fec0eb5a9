// A side-by-side line diff of two texts (longest common subsequence of
// lines), rendered as a two-column table with the changed rows marked in
// text as well as colour.
import { el } from './api.js';

export function diffLines(a, b) {
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const rows = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { rows.push({ kind: 'same', left: a[i++], right: b[j++] }); }
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1]))
      rows.push({ kind: 'removed', left: a[i++], right: '' });
    else rows.push({ kind: 'added', left: '', right: b[j++] });
  }
  // Pair a run of removals with the additions that follow it (a changed line).
  const paired = [];
  for (let k = 0; k < rows.length; k++) {
    if (rows[k].kind === 'removed') {
      let end = k; while (end < rows.length && rows[end].kind === 'removed') end++;
      let add = end; while (add < rows.length && rows[add].kind === 'added') add++;
      const removed = rows.slice(k, end), added = rows.slice(end, add);
      for (let x = 0; x < Math.max(removed.length, added.length); x++) {
        const l = removed[x], r = added[x];
        const kind = l && r ? 'changed' : (l ? 'removed' : 'added');
        paired.push({ kind, left: l ? l.left : '', right: r ? r.right : '' });
      }
      k = add - 1;
    } else paired.push(rows[k]);
  }
  return paired;
}

const MARK = { same: '', added: '+', removed: '−', changed: '~' };

export function renderDiff(leftTitle, leftText, rightTitle, rightText) {
  const rows = diffLines(leftText.split('\n'), rightText.split('\n'));
  const changed = rows.filter((r) => r.kind !== 'same').length;
  // Unchanged lines more than CONTEXT lines from a change fold into one row.
  const CONTEXT = 3;
  const near = rows.map(() => false);
  rows.forEach((row, index) => {
    if (row.kind === 'same') return;
    for (let k = Math.max(0, index - CONTEXT); k <= Math.min(rows.length - 1, index + CONTEXT); k++) near[k] = true;
  });
  const body = el('tbody');
  for (let index = 0; index < rows.length; index++) {
    if (!near[index]) {
      let end = index;
      while (end < rows.length && !near[end]) end++;
      body.append(el('tr', { class: 'diff-fold' }, el('td', { class: 'mark' }, '⋯'),
        el('td', { colspan: '2' }, `${end - index} unchanged line(s)`)));
      index = end - 1;
      continue;
    }
    const row = rows[index];
    body.append(el('tr', { class: `diff-${row.kind}` },
      el('td', { class: 'mark' }, MARK[row.kind]), el('td', {}, el('code', {}, row.left)),
      el('td', {}, el('code', {}, row.right))));
  }
  return el('div', {},
    el('p', { class: 'status' }, changed ? `${changed} line(s) differ` : 'The two versions are identical'),
    el('div', { class: 'diff-scroll' }, el('table', { class: 'diff-table' },
      el('caption', { class: 'sr-only' }, `Differences between ${leftTitle} and ${rightTitle}`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, el('span', { class: 'sr-only' }, 'Change')),
        el('th', { scope: 'col' }, leftTitle), el('th', { scope: 'col' }, rightTitle))),
      body)));
}
