// The console's entry: the two views as keyboard-usable tabs (WAI-ARIA tabs
// pattern: arrow keys move between tabs), each view started once.
import { startEhr } from './ehr.js';
import { startPayer } from './payer.js';

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
  }
  window.history.replaceState(null, '', `#${tab.id.replace('tab-', '')}`);
}

function startTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => selectTab(tab));
    tab.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  });
  const wanted = document.getElementById(`tab-${window.location.hash.slice(1)}`);
  if (wanted) selectTab(wanted);
}

startTabs();
startPayer();
startEhr();
