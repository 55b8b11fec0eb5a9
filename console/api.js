// Calls to crdex's own JSON APIs (same origin only) and the tokens the payer
// view uses, kept in sessionStorage: they live as long as this tab.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The message of an OperationOutcome (or any JSON error body), else the text.
function problemText(status, text) {
  try {
    const body = JSON.parse(text);
    const issues = (body.issue || []).map((i) => i.diagnostics || (i.details && i.details.text)).filter(Boolean);
    if (issues.length) return issues.join('; ');
  } catch (e) { /* not JSON */ }
  return text || `HTTP ${status}`;
}

export async function callJson(method, path, { token, body, headers = {} } = {}) {
  if (!path.startsWith('/')) throw new Error('crdex paths only');
  const sent = { 'Accept': 'application/json', ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers: sent, credentials: 'omit', cache: 'no-store',
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, problemText(response.status, text));
  return text ? JSON.parse(text) : null;
}

const store = window.sessionStorage;
export const tokens = {
  get: (name) => store.getItem(`crdex.${name}`) || '',
  set: (name, value) => (value ? store.setItem(`crdex.${name}`, value) : store.removeItem(`crdex.${name}`)),
  clear: () => ['publisher', 'admin', 'payer', 'fhir'].forEach((n) => store.removeItem(`crdex.${n}`)),
};

// A small DOM builder: el('p', {class: 'x'}, 'text', child). Text is always
// text (never parsed as HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children.flat())
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// Asks for a confirmation in the page's <dialog>; resolves true on Confirm.
export function confirmAction(title, text, okLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}
