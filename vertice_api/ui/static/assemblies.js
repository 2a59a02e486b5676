// The assemblies list (#/assemblies, the first page after login): the caller's assemblies
// (/v3/assembly_factory, 20 a page, by name) with live phase, ready/declared replicas,
// region, flavor, addresses and age, read again every 2 s until the page is left. Rows
// are updated in place (never rebuilt), so focus and scrolling stay where they are.

import * as api from './api.js';
import { add, age, fill, h, poll } from './dom.js';
import { session } from './session.js';

export const PER_PAGE = 20;
export const EVERY_MS = 2000;

/** Where an assembly runs: its region, or its placement's regions joined by '+'. */
export function regionsOf(doc) {
  return doc.placement?.regions?.length ? doc.placement.regions.join('+') : (doc.region || '-');
}

/** Each instance's addresses: published host:port first, then public, then private IPv4. */
export function addressesOf(doc) {
  return (doc.status?.instances || []).map((i) => {
    const all = [...(i.access || []), i.public_ipv4, i.private_ipv4].filter(Boolean);
    return [...new Set(all)].join(', ');
  }).filter(Boolean);
}

export function readyOf(doc) {
  return `${doc.status?.ready_replicas ?? 0}/${doc.replicas ?? doc.status?.replicas ?? 1}`;
}

const COLUMNS = [
  { key: 'name', label: 'Name' },
  { key: 'project', label: 'Project', several: true },
  { key: 'phase', label: 'Phase' },
  { key: 'ready', label: 'Ready', class: 'num' },
  { key: 'region', label: 'Region' },
  { key: 'flavor', label: 'Flavor' },
  { key: 'addresses', label: 'Addresses' },
  { key: 'age', label: 'Age', class: 'num' },
];

function cells(doc) {
  const phase = doc.status?.phase || 'PENDING';
  return {
    project: doc.project,
    phase,
    ready: readyOf(doc),
    region: regionsOf(doc),
    flavor: doc.flavor,
    addresses: addressesOf(doc).join('\n') || '-',
    age: age(doc.created_at),
  };
}

function newRow(doc, columns) {
  const tr = h('tr', { 'data-testid': 'assembly-row', 'data-name': doc.name, 'data-id': doc.id });
  for (const column of columns) {
    const td = h('td', { class: column.class, 'data-label': column.label, 'data-testid': column.key });
    if (column.key === 'name') {
      td.append(h('a', { href: `#/assemblies/${encodeURIComponent(doc.id)}`, 'data-testid': 'assembly-link' }, doc.name));
    } else if (column.key === 'phase') {
      td.append(h('span', { class: 'phase' }));
    }
    tr.append(td);
  }
  return tr;
}

function update(tr, doc, columns) {
  const values = cells(doc);
  tr.dataset.phase = values.phase;
  columns.forEach((column, index) => {
    const td = tr.children[index];
    if (column.key === 'name') {
      const link = td.firstChild;
      if (link.textContent !== doc.name) link.textContent = doc.name;
      tr.dataset.name = doc.name;
    } else if (column.key === 'phase') {
      const badge = td.firstChild;
      if (badge.textContent !== values.phase) {
        badge.textContent = values.phase;
        badge.className = `phase phase-${values.phase}`;
      }
      const why = [doc.status?.reason, doc.status?.message].filter(Boolean).join(': ');
      if (badge.title !== why) badge.title = why;
    } else {
      const text = String(values[column.key] ?? '-');
      if (td.textContent !== text) {
        if (column.key === 'addresses') fill(td, text.split('\n').map((line) => h('div', {}, line)));
        else td.textContent = text;
      }
    }
  });
}

export async function assembliesPage(page, { signal, query }) {
  const start = Math.max(0, Number.parseInt(query.get('start') || '0', 10) || 0);
  const columns = COLUMNS.filter((c) => !c.several || (session.user?.projects || []).length > 1 || session.user?.admin);
  const body = h('tbody', { id: 'assemblies-rows' });
  const table = h('div', { class: 'table-wrap', hidden: true },
    h('table', { class: 'cards', id: 'assemblies-table', 'data-testid': 'assemblies-table' },
      h('caption', { class: 'muted small', id: 'assemblies-summary', 'data-testid': 'assemblies-summary' }),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      body));
  const empty = h('p', { id: 'assemblies-empty', 'data-testid': 'assemblies-empty', hidden: true },
    'No assemblies yet. ', h('a', { href: '#/launch' }, 'Launch one.'));
  const pager = h('div', { class: 'pager', id: 'assemblies-pager', hidden: true });
  add(page, 
    h('div', { class: 'row spread' },
      h('h1', {}, 'Assemblies'),
      h('a', { class: 'button primary', href: '#/launch', id: 'assemblies-launch', 'data-testid': 'assemblies-launch' }, 'Launch')),
    table, empty, pager);

  const rows = new Map();
  poll(async (pollSignal) => {
    const listing = await api.get('/v3/assembly_factory', {
      query: { sort: '+name', start_index: start, items_per_page: PER_PAGE }, signal: pollSignal,
    });
    const found = await Promise.all((listing.items || []).map((item) => api.get(item.uri, { signal: pollSignal })
      .catch((error) => (error.status === 404 ? null : Promise.reject(error)))));
    const docs = found.filter(Boolean);
    const seen = new Set();
    docs.forEach((doc, index) => {
      let tr = rows.get(doc.id);
      if (!tr) {
        tr = newRow(doc, columns);
        rows.set(doc.id, tr);
      }
      update(tr, doc, columns);
      if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
      seen.add(doc.id);
    });
    for (const [id, tr] of rows) {
      if (!seen.has(id)) {
        tr.remove();
        rows.delete(id);
      }
    }
    const total = listing.total_items ?? docs.length;
    table.hidden = docs.length === 0;
    empty.hidden = docs.length !== 0 || start > 0;
    const summary = `${start + 1}-${start + docs.length} of ${total}, refreshed every ${EVERY_MS / 1000} s`;
    const caption = document.getElementById('assemblies-summary');
    if (caption.textContent !== summary) caption.textContent = summary;
    pager.hidden = total <= PER_PAGE && start === 0;
    if (!pager.hidden && pager.dataset.total !== `${total}`) {
      pager.dataset.total = `${total}`;
      fill(pager,
        start > 0 ? h('a', { class: 'button', href: `#/assemblies?start=${Math.max(0, start - PER_PAGE)}`, id: 'assemblies-previous' }, 'Previous') : null,
        start + PER_PAGE < total ? h('a', { class: 'button', href: `#/assemblies?start=${start + PER_PAGE}`, id: 'assemblies-next' }, 'Next') : null);
    }
  }, EVERY_MS, signal);
}
