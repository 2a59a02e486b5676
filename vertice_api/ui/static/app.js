// The entry point: the session (who is logged in), the navigation, the login page, and
// the table of routes. Pages live in their own modules.

import * as api from './api.js';
import { add, clearProblems, field, h, showError, showProblems } from './dom.js';
import { guardWith, navigate, route, start } from './router.js';
import { session } from './session.js';
import { launchPage } from './launch.js';
import { assembliesPage } from './assemblies.js';
import { assemblyPage } from './assembly.js';
import { flavorsPage, projectsPage, regionsPage, usersPage } from './admin.js';
import { disksPage, quotasPage, routesPage, scalersPage, snapshotsPage, sshKeysPage, usagePage } from './other.js';
import { buildPage, buildsPage } from './builds.js';

let loginReason = '';

function showSession() {
  const user = session.user;
  document.getElementById('session').hidden = !user;
  document.getElementById('nav').hidden = !user;
  document.getElementById('menu-toggle').hidden = !user;
  document.getElementById('user-name').textContent = user ? user.name : '';
  for (const item of document.querySelectorAll('[data-admin]')) item.hidden = !(user && user.admin);
}

function logOut(reason = '') {
  api.clearToken();
  session.user = null;
  loginReason = reason;
  showSession();
  navigate('#/login');
}

async function loginPage(page, { signal }) {
  if (session.user) {
    navigate('#/assemblies');
    return;
  }
  const input = h('input', {
    type: 'password', id: 'login-token', 'data-testid': 'login-token', 'data-path': '$.token',
    autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'vt_...',
  });
  const button = h('button', { type: 'submit', class: 'primary', id: 'login-submit', 'data-testid': 'login-submit' }, 'Log in');
  const form = h('form', { id: 'login-form', class: 'card narrow', novalidate: true },
    field('API token', input, 'Kept in this browser tab only, until you log out or close it.'),
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblems(form);
    const candidate = input.value.trim();
    if (!candidate) {
      showProblems(form, { title: 'Invalid input', problems: [{ path: '$.token', message: 'paste your API token' }] });
      return;
    }
    button.disabled = true;
    try {
      const user = await api.whoami(candidate, { signal });
      api.setToken(candidate);
      session.user = user;
      loginReason = '';
      showSession();
      navigate('#/assemblies');
    } catch (error) {
      if (error.name === 'AbortError') return;
      const message = error.status === 401 ? error.description : `${error.title}: ${error.description}`;
      showProblems(form, { ...error, title: 'Not logged in', problems: [{ path: '$.token', message }] });
    } finally {
      button.disabled = false;
    }
  });
  add(page, 
    h('h1', {}, 'Log in'),
    h('p', { class: 'muted' }, 'Paste an API token: ', h('code', {}, 'make run'),
      ' prints the administrator\'s once; ', h('code', {}, 'vertice users create NAME'),
      ' or an administrator\'s Users page makes more.'),
    form);
  if (loginReason) showError({ title: 'Logged out', description: loginReason });
  input.focus();
}

function setUpMenu() {
  const toggle = document.getElementById('menu-toggle');
  const nav = document.getElementById('nav');
  const narrow = window.matchMedia('(max-width: 719px)');
  const collapse = (collapsed) => {
    nav.dataset.collapsed = String(collapsed && narrow.matches);
    toggle.setAttribute('aria-expanded', String(!(collapsed && narrow.matches)));
  };
  toggle.addEventListener('click', () => collapse(nav.dataset.collapsed !== 'true'));
  nav.addEventListener('click', (event) => {
    if (event.target.closest('a')) collapse(true);
  });
  narrow.addEventListener('change', () => collapse(true));
  collapse(true);
}

async function main() {
  api.whenUnauthorized((error) => {
    if (session.user || api.token()) logOut(`The API refused the token: ${error.description}`);
  });
  document.getElementById('logout').addEventListener('click', () => logOut('You logged out.'));
  setUpMenu();
  const kept = api.token();
  if (kept) {
    try {
      session.user = await api.whoami(kept);
    } catch (error) {
      api.clearToken();
      loginReason = error.status === 401 ? `The API refused the token: ${error.description}` : '';
      if (error.status !== 401) showError(error);
    }
  }
  showSession();

  route('/login', loginPage, { public: true });
  route('/', async () => navigate('#/assemblies'));
  route('/assemblies', assembliesPage);
  route('/assemblies/:id', assemblyPage);
  route('/launch', launchPage);
  route('/builds', buildsPage);
  route('/builds/:id', buildPage);
  route('/scalers', scalersPage);
  route('/routes', routesPage);
  route('/disks', disksPage);
  route('/snapshots', snapshotsPage);
  route('/sshkeys', sshKeysPage);
  route('/quotas', quotasPage);
  route('/usage', usagePage);
  route('/admin/regions', regionsPage, { admin: true });
  route('/admin/flavors', flavorsPage, { admin: true });
  route('/admin/users', usersPage, { admin: true });
  route('/admin/projects', projectsPage, { admin: true });
  guardWith((entry) => {
    if (entry && entry.options.public) return null;
    if (!session.user) return '#/login';
    return null;
  });
  start();
}

main();
