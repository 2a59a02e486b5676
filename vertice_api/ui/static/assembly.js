// An assembly's page (#/assemblies/{id}): spec, status, conditions, instances and events,
// read again every 2 s; actions as the CLI does them (vertice_api/cli/power.py, acting.py):
// JSON Patch with If-Match for stop, start, restart (restart_count + 1) and scale
// (replicas), retried on a 412; delete after a confirmation step in the page. An assembly
// built from a source also shows its source, builds and rollback (source.js).

import * as api from './api.js';
import { add, clearAlert, clearProblems, field, fill, h, notify, poll, showError, showProblems, table, when } from './dom.js';
import { EVERY_MS, readyOf, regionsOf } from './assemblies.js';
import { launched } from './launch.js';
import { sourceSection } from './source.js';

const KEEP_EVENTS = 200;
const ATTEMPTS = 3;

function spec(doc) {
  const credential = doc.credential || { kind: 'none' };
  const rows = [
    ['Plan', doc.plan_uri], ['Region', regionsOf(doc)],
    ['Placement', doc.placement ? `${doc.placement.policy} over ${doc.placement.regions.join(', ')}` : null],
    ['Flavor', doc.flavor], ['Replicas', `${doc.replicas} declared, ${readyOf(doc)} ready`],
    ['Desired state', doc.desired_state], ['Project', doc.project],
    ['Credential', credential.name ? `${credential.kind} (${credential.name})` : credential.kind],
    ['Restarts', `${doc.restart_count} asked, ${doc.status?.restarts_done ?? 0} done`],
    ['Tags', (doc.tags || []).join(', ') || null], ['ID', doc.id], ['Created', when(doc.created_at)],
  ];
  return h('dl', { class: 'spec', id: 'assembly-spec', 'data-testid': 'assembly-spec' },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([label, value]) => [h('dt', {}, label), h('dd', { 'data-field': label }, value)]));
}

function conditions(doc) {
  return table([
    { label: 'Type', cell: (c) => c.type, key: 'condition-type' },
    { label: 'Status', cell: (c) => c.status, key: 'condition-status' },
    { label: 'Reason', cell: (c) => c.reason },
    { label: 'Message', cell: (c) => c.message || '-' },
    { label: 'Since', cell: (c) => when(c.last_transition_time) },
  ], doc.status?.conditions || [], { testid: 'assembly-conditions', empty: 'No condition reported yet.' });
}

function instances(doc) {
  return table([
    { label: 'Ordinal', cell: (i) => i.ordinal, class: 'num', key: 'instance-ordinal' },
    { label: 'State', cell: (i) => i.state + (i.draining ? ' (draining)' : ''), key: 'instance-state' },
    { label: 'Ready', cell: (i) => (i.ready ? 'yes' : 'no') },
    { label: 'Public', cell: (i) => i.public_ipv4 || '-', key: 'instance-public' },
    { label: 'Private', cell: (i) => i.private_ipv4 || '-', key: 'instance-private' },
    { label: 'Published', cell: (i) => (i.access || []).join(', ') || '-' },
    { label: 'Region', cell: (i) => i.region || '-' },
    doc.source ? { label: 'Revision', cell: (i) => i.revision || '-', class: 'num', key: 'instance-revision' } : null,
    { label: 'Cloud id', cell: (i) => h('code', {}, i.cloud_id || '-'), key: 'instance-cloud-id' },
  ].filter(Boolean), doc.status?.instances || [], { testid: 'assembly-instances', empty: 'No instance yet.', rowAttrs: (i) => ({ 'data-ordinal': i.ordinal }) });
}

function eventsTable(events) {
  return table([
    { label: 'Time', cell: (e) => when(e.time) },
    { label: 'Type', cell: (e) => h('span', { class: `type-${e.type}` }, e.type) },
    { label: 'Reason', cell: (e) => e.reason, key: 'event-reason' },
    { label: 'Message', cell: (e) => e.message },
  ], [...events].reverse(), { testid: 'assembly-events', empty: 'No event yet.', caption: 'Newest first' });
}

export async function assemblyPage(page, { signal, params }) {
  const uri = `/v3/assembly/${encodeURIComponent(params.id)}`;
  let doc = null;
  let etag = null;
  let events = [];
  let gone = false;

  const heading = h('h1', { id: 'assembly-name' }, params.id);
  const badge = h('span', { class: 'phase', id: 'assembly-phase', 'data-testid': 'assembly-phase' });
  const message = h('p', { class: 'muted', id: 'assembly-message', 'aria-live': 'polite' });
  const specBox = h('div', {});
  const conditionsBox = h('div', {});
  const instancesBox = h('div', {});
  const eventsBox = h('div', {});
  const source = sourceSection(uri, signal, () => refresh());
  const button = (id, text, onclick, extra = {}) => h('button', { type: 'button', id, 'data-testid': id, onclick, ...extra }, text);
  const replicas = h('input', { type: 'number', id: 'scale-replicas', 'data-testid': 'scale-replicas', 'data-path': '$.replicas', min: '0', step: '1', inputmode: 'numeric' });
  const scaleForm = h('form', { id: 'scale-form', class: 'actions', novalidate: true },
    field('Replicas', replicas), h('button', { type: 'submit', id: 'action-scale', 'data-testid': 'action-scale' }, 'Scale'));
  const confirmBox = h('div', { class: 'confirm', id: 'delete-confirm', 'data-testid': 'delete-confirm', hidden: true });
  const actions = h('div', { class: 'actions', id: 'assembly-actions' },
    button('action-stop', 'Stop', () => power('stopped')),
    button('action-start', 'Start', () => power('running')),
    button('action-restart', 'Restart', () => restart()),
    button('action-delete', 'Delete', () => askDelete(), { class: 'danger' }));
  const once = launched.generated && launched.generated.id === params.id ? launched.generated.values : null;
  launched.generated = null;

  add(page, 
    h('p', { class: 'small' }, h('a', { href: '#/assemblies' }, 'All assemblies')),
    h('div', { class: 'row' }, heading, badge), message,
    once ? h('div', { class: 'once', id: 'generated-inputs', 'data-testid': 'generated-inputs' },
      h('strong', {}, 'Generated inputs, shown this once: keep them now.'),
      h('dl', { class: 'spec' }, Object.entries(once).map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, v))]))) : null,
    h('section', { class: 'card', 'aria-labelledby': 'actions-title' },
      h('h2', { id: 'actions-title' }, 'Actions'), actions, scaleForm, confirmBox),
    source.element,
    h('section', { 'aria-labelledby': 'spec-title' }, h('h2', { id: 'spec-title' }, 'Spec'), specBox),
    h('section', { 'aria-labelledby': 'conditions-title' }, h('h2', { id: 'conditions-title' }, 'Conditions'), conditionsBox),
    h('section', { 'aria-labelledby': 'instances-title' }, h('h2', { id: 'instances-title' }, 'Instances'), instancesBox),
    h('section', { 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Events'), eventsBox));

  const show = (answer) => {
    if (answer.etag === etag && doc) return;
    doc = answer.data;
    etag = answer.etag;
    heading.textContent = doc.name;
    document.title = `${doc.name} - vertice`;
    const now = doc.status?.phase || 'PENDING';
    fill(badge, now);
    badge.className = `phase phase-${now}`;
    message.textContent = [doc.status?.reason, doc.status?.message].filter(Boolean).join(': ');
    fill(specBox, spec(doc));
    fill(conditionsBox, conditions(doc));
    fill(instancesBox, instances(doc));
    document.getElementById('action-stop').disabled = doc.desired_state === 'stopped';
    document.getElementById('action-start').disabled = doc.desired_state === 'running';
    if (document.activeElement !== replicas && !replicas.value) replicas.value = doc.replicas;
  };

  const markGone = () => {
    gone = true;
    fill(badge, 'DELETED');
    badge.className = 'phase phase-DELETED';
    message.textContent = 'This assembly is gone: the cloud shows no instance of it any more.';
    for (const b of page.querySelectorAll('#assembly-actions button, #scale-form button')) b.disabled = true;
    source.disable();
  };

  const loadEvents = async (s) => {
    for (let pages = 0; pages < 10; pages += 1) {
      const after = events.length ? events[events.length - 1].id : 0;
      const got = (await api.get(`${uri}/events`, { query: { after, items_per_page: 500 }, signal: s })).items || [];
      if (!got.length) break;
      events = [...events, ...got].slice(-KEEP_EVENTS);
      fill(eventsBox, eventsTable(events));
      if (got.length < 500) break;
    }
    if (!eventsBox.firstChild) fill(eventsBox, eventsTable(events));
  };

  let running = null;
  const refresh = (s = signal) => {
    if (gone) return Promise.resolve();
    running = running || (async () => {
      try {
        show(await api.request('GET', uri, { signal: s }));
        await source.update(doc, s);
        await loadEvents(s);
      } catch (error) {
        if (error.status === 404 && doc) markGone();
        else throw error;
      } finally {
        running = null;
      }
    })();
    return running;
  };

  /** PATCH `operations(doc)` with If-Match; on a 412, read again and retry. */
  const change = async (operations, done, form) => {
    clearAlert();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await api.patch(uri, operations(doc), etag, { signal });
        show(answer);
        notify(done(answer.data));
        return;
      } catch (error) {
        if (error.name === 'AbortError') return;
        if (error.status === 412 && attempt < ATTEMPTS) {
          show(await api.request('GET', uri, { signal }));
          continue;
        }
        if (form) showProblems(form, error);
        else showError(error);
        return;
      }
    }
  };

  const power = (state) => change(
    () => [{ op: 'replace', path: '/desired_state', value: state }],
    () => `${doc.name}: ${state === 'stopped' ? 'stop' : 'start'} requested.`);
  const restart = () => change(
    (current) => [{ op: 'replace', path: '/restart_count', value: (current.restart_count || 0) + 1 }],
    (patched) => `${patched.name}: restart requested (restart_count ${patched.restart_count}).`);
  scaleForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearProblems(scaleForm);
    const text = replicas.value.trim();
    const value = /^\d+$/.test(text) ? Number(text) : text;
    change(() => [{ op: 'replace', path: '/replicas', value }],
      (patched) => `${patched.name}: scaled to ${patched.replicas} replicas.`, scaleForm);
  });

  const askDelete = () => {
    const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-delete', 'data-testid': 'confirm-delete' }, `Delete ${doc ? doc.name : params.id}`);
    const cancel = h('button', { type: 'button', id: 'cancel-delete', 'data-testid': 'cancel-delete' }, 'Cancel');
    fill(confirmBox,
      h('p', {}, h('strong', {}, `Delete ${doc ? doc.name : params.id}?`),
        ' Its instances are deleted in the cloud; the assembly disappears once the cloud shows none.'),
      h('div', { class: 'actions' }, confirm, cancel));
    confirmBox.hidden = false;
    cancel.addEventListener('click', () => {
      confirmBox.hidden = true;
      document.getElementById('action-delete').focus();
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        await api.del(uri, { signal });
        confirmBox.hidden = true;
        notify(`${doc ? doc.name : params.id}: delete requested.`);
        refresh().catch(() => {});
      } catch (error) {
        if (error.name !== 'AbortError') showError(error);
        confirm.disabled = false;
      }
    });
    cancel.focus();
  };

  try {
    await refresh();
  } catch (error) {
    if (error.status === 404) {
      fill(page, h('h1', {}, 'Not found'), h('p', { id: 'assembly-missing', 'data-testid': 'assembly-missing' },
        `There is no assembly ${params.id} you can see. `, h('a', { href: '#/assemblies' }, 'All assemblies')));
      return;
    }
    throw error;
  }
  poll((s) => refresh(s), EVERY_MS, signal);
}
