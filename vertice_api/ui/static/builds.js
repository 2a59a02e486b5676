// Builds of assemblies' sources (docs/applications.md): the caller's builds (#/builds,
// /v3/builds, newest first), read again every 2 s; one build's page (#/builds/{id}) with
// its fields, its log followed while it runs (GET /v3/builds/{id}/log?offset=N: the text
// from character N, `X-Next-Offset` says where to read on, `X-Build-State` the state; the
// new text is appended as text, never as HTML) and Cancel while it is queued or runs.

import * as api from './api.js';
import { add, clearAlert, fill, h, notify, poll, showError, when } from './dom.js';
import { liveTable } from './pages.js';
import { EVERY_MS } from './assemblies.js';

/** The states a build ends in. */
export const DONE = new Set(['succeeded', 'failed', 'cancelled']);
/** Milliseconds between two reads of a followed log. */
const FOLLOW_MS = 1000;
/** Reads of a log in one go (64 Ki characters each) before the page draws what it has. */
const CHUNKS = 32;

export const buildHref = (b) => `#/builds/${encodeURIComponent(b.id)}`;
export const assemblyHref = (b) => {
  const id = (b.assembly_uri || '').split('/').pop();
  return id ? `#/assemblies/${encodeURIComponent(id)}` : '';
};
export const commitOf = (b) => (b.commit ? b.commit.slice(0, 12) : '-');
export const refOf = (b) => b.ref || '(default branch)';
export const whenText = (iso) => (iso ? new Date(iso).toLocaleString() : '-');
export const why = (b) => [b.reason, b.message].filter(Boolean).join(': ');

/** A build's duration: 4.2s, 3m 07s, 1h 02m. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

export async function buildsPage(page, { signal }) {
  const builds = liveTable({
    id: 'builds-table',
    caption: '',
    empty: 'No build yet: an assembly declared with a source is built (docs/applications.md).',
    key: (b) => b.id,
    rowAttrs: (b) => ({ 'data-testid': 'build-row', 'data-id': b.id, 'data-phase': b.state, 'data-name': b.id }),
    columns: [
      { label: 'Assembly', key: 'build-assembly', text: (b) => b.assembly || '(gone)', href: assemblyHref },
      { label: 'Revision', key: 'build-revision', text: (b) => b.revision, href: buildHref, testid: 'build-link', class: 'num' },
      { label: 'State', key: 'build-state', text: (b) => b.state, badge: true, title: why },
      { label: 'Ref', key: 'build-ref', text: refOf },
      { label: 'Commit', key: 'build-commit', text: commitOf, title: (b) => b.commit },
      { label: 'Project', key: 'build-project', text: (b) => b.project },
      { label: 'Started', key: 'build-started', text: (b) => whenText(b.started_at), title: (b) => b.started_at },
      { label: 'Duration', key: 'build-duration', text: (b) => duration(b.duration), class: 'num' },
    ],
  });
  add(page, h('h1', {}, 'Builds'),
    h('p', { class: 'muted' }, 'Builds of the assemblies declared with a source, newest first.'),
    builds.element);
  poll(async (s) => {
    const listing = await api.get('/v3/builds', { signal: s });
    const items = listing.items || [];
    builds.update(items);
    builds.say(`${items.length} build${items.length === 1 ? '' : 's'}, refreshed every ${EVERY_MS / 1000} s`);
  }, EVERY_MS, signal);
}

function fields(b) {
  const source = [b.url, refOf(b), b.subdirectory ? `in ${b.subdirectory}` : ''].filter(Boolean).join(' ');
  const rows = [
    ['Assembly', assemblyHref(b) ? h('a', { href: assemblyHref(b) }, b.assembly || b.assembly_uri) : '(gone)'],
    ['Revision', b.revision], ['Project', b.project], ['Region', b.region],
    ['Source', h('code', {}, source)], ['Commit', b.commit ? h('code', {}, b.commit) : '-'],
    ['Builder', b.builder || (b.recipe ? `${b.recipe} (asked)` : '-')],
    ['State', why(b) ? `${b.state}: ${why(b)}` : b.state],
    ['Image', b.image ? h('code', {}, b.image) : '-'], ['Attempts', b.attempts],
    ['Created', when(b.created_at)], ['Started', when(b.started_at)],
    ['Finished', when(b.finished_at)], ['Duration', duration(b.duration)],
    ['Log', `${b.log_size} characters`], ['ID', b.id],
  ];
  return h('dl', { class: 'spec', id: 'build-fields', 'data-testid': 'build-fields' },
    rows.map(([label, value]) => [h('dt', {}, label), h('dd', { 'data-field': label }, value)]));
}

export async function buildPage(page, { signal, params }) {
  const uri = `/v3/builds/${encodeURIComponent(params.id)}`;
  let doc = null;
  let seen = '';
  let offset = 0;

  const heading = h('h1', { id: 'build-title' }, `Build ${params.id}`);
  const badge = h('span', { class: 'phase', id: 'build-phase', 'data-testid': 'build-phase' });
  const cancel = h('button', { type: 'button', class: 'danger', id: 'build-cancel', 'data-testid': 'build-cancel', hidden: true }, 'Cancel build');
  const fieldsBox = h('div', {});
  const log = h('pre', { class: 'log', id: 'build-log', 'data-testid': 'build-log', tabindex: '0', 'aria-label': 'Build log' });
  const logState = h('p', { class: 'muted small', id: 'build-log-state', 'aria-live': 'polite' }, 'Reading the log...');

  const show = (b) => {
    doc = b;
    const text = JSON.stringify(b);
    if (text === seen) return;
    seen = text;
    heading.textContent = `Build ${b.revision} of ${b.assembly || '(gone)'}`;
    document.title = `${heading.textContent} - vertice`;
    badge.textContent = b.state;
    badge.className = `phase phase-${b.state}`;
    badge.title = why(b);
    cancel.hidden = DONE.has(b.state);
    fill(fieldsBox, fields(b));
  };

  const append = (text) => {
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.append(document.createTextNode(text)); // the builder's output is text, never markup
    if (atEnd) log.scrollTop = log.scrollHeight;
  };

  /** Read the log on from `offset` until nothing is new; the state the last read gave. */
  const readLog = async (s) => {
    for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
      const { text, headers } = await api.text(`${uri}/log`, { query: { offset }, signal: s });
      const next = Number.parseInt(headers.get('X-Next-Offset') || '', 10);
      if (text) append(text);
      offset = Number.isFinite(next) ? next : offset + text.length;
      if (!text) return headers.get('X-Build-State') || '';
    }
    return '';
  };

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    clearAlert();
    try {
      const answer = await api.post(`${uri}/cancel`, undefined, { signal });
      show(answer.data);
      notify(`Build ${answer.data.revision} of ${answer.data.assembly}: ${answer.data.state === 'cancelled' ? 'cancelled' : 'cancel requested'}.`);
    } catch (error) {
      if (error.name !== 'AbortError') showError(error);
    } finally {
      cancel.disabled = false;
    }
  });

  try {
    show(await api.get(uri, { signal }));
  } catch (error) {
    if (error.status === 404) {
      add(page, h('h1', {}, 'Not found'), h('p', { id: 'build-missing', 'data-testid': 'build-missing' },
        `There is no build ${params.id} you can see. `, h('a', { href: '#/builds' }, 'All builds')));
      return;
    }
    throw error;
  }
  add(page,
    h('p', { class: 'small' }, h('a', { href: '#/builds' }, 'All builds')),
    h('div', { class: 'row' }, heading, badge),
    h('div', { class: 'actions' }, cancel),
    h('section', { 'aria-labelledby': 'build-fields-title' }, h('h2', { id: 'build-fields-title' }, 'Build'), fieldsBox),
    h('section', { 'aria-labelledby': 'build-log-title' }, h('h2', { id: 'build-log-title' }, 'Log'), logState, log));

  // Follow the log (and the build's fields) until the build is over and its log read whole.
  const following = new AbortController();
  signal.addEventListener('abort', () => following.abort());
  poll(async (s) => {
    const state = await readLog(s);
    show(await api.get(uri, { signal: s }));
    if (DONE.has(state)) {
      logState.textContent = `${offset} characters; the build is ${state}.`;
      following.abort();
    } else {
      logState.textContent = `${offset} characters so far; followed while the build is ${state || doc.state}.`;
    }
  }, FOLLOW_MS, following.signal);
}
