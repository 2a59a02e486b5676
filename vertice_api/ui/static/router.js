// Hash routes: `#/assemblies`, `#/assemblies/asm-123`, `#/usage?by=day`. A page is
// `render(container, context)`; `context.signal` aborts when the page is left (its polls
// and requests stop), `context.params` holds the path's `:names`, `context.query` the query.

import { clearAlert, clearNotice, h, showError } from './dom.js';

const table = [];
let current = null;
let guard = () => null;

/** Add a route: `path` like '/assemblies/:id'; `page(container, context)`; `options.admin`,
 * `options.public` (no login needed). */
export function route(path, page, options = {}) {
  const keys = [];
  const pattern = path.replace(/:(\w+)/g, (_, key) => {
    keys.push(key);
    return '([^/?]+)';
  });
  table.push({ path, pattern: new RegExp(`^${pattern}$`), keys, page, options });
}

/** `check(entry) -> hash | null`: where to go instead of the route (e.g. the login page). */
export function guardWith(check) {
  guard = check;
}

export function navigate(hash) {
  if (window.location.hash === hash) render();
  else window.location.hash = hash;
}

export function currentPath() {
  return (window.location.hash.slice(1) || '/').split('?')[0];
}

function match(path) {
  for (const entry of table) {
    const found = entry.pattern.exec(path);
    if (found) {
      const params = Object.fromEntries(entry.keys.map((key, i) => [key, decodeURIComponent(found[i + 1])]));
      return { entry, params };
    }
  }
  return null;
}

/** Leave the current page (its signal aborts) and show the one the hash names. */
export async function render() {
  const hash = window.location.hash || '#/';
  if (!hash.startsWith('#/')) return; // an in-page anchor, not a route
  const [path, query = ''] = hash.slice(1).split('?');
  const focused = document.activeElement && document.activeElement.closest('#page') ? document.activeElement.id : '';
  if (current) current.abort();
  const controller = new AbortController();
  current = controller;
  clearAlert();
  clearNotice();
  const found = match(path);
  const redirect = guard(found ? found.entry : null);
  if (redirect && redirect !== hash) {
    window.location.replace(redirect);
    return;
  }
  const container = document.getElementById('page');
  const page = h('div', { 'data-route': found ? found.entry.path : 'unknown' });
  container.replaceChildren(page);
  markCurrent(path);
  const context = {
    signal: controller.signal,
    params: found ? found.params : {},
    query: new URLSearchParams(query),
  };
  try {
    if (!found) {
      page.append(h('h1', { tabindex: '-1' }, 'Not found'),
        h('p', {}, 'No page here. ', h('a', { href: '#/assemblies' }, 'Go to the assemblies.')));
    } else {
      await found.entry.page(page, context);
    }
  } catch (error) {
    if (error.name !== 'AbortError' && !controller.signal.aborted) showError(error);
  }
  if (!controller.signal.aborted) focusHeading(page, focused);
}

/** Focus the control that had it before the page was drawn again (a query changed), else
 * the page's heading, so keyboard and screen reader users start at the top of the page. */
function focusHeading(page, focused) {
  const again = focused && document.getElementById(focused);
  if (again && page.contains(again)) {
    again.focus();
    return;
  }
  const heading = page.querySelector('h1');
  if (!heading || document.activeElement?.closest('#page form')) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: false });
}

function markCurrent(path) {
  for (const link of document.querySelectorAll('#nav a[href^="#/"]')) {
    const target = link.getAttribute('href').slice(1);
    const here = path === target || path.startsWith(`${target}/`);
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

export function start() {
  window.addEventListener('hashchange', render);
  render();
}
