// The read-only pages of what else the API has: scalers, routes, disks, snapshots, quotas,
// usage and balances; and SSH keys (listed and added: the launch panel offers them).

import * as api from './api.js';
import { add, field, h, options, phase, poll, when } from './dom.js';
import { createForm, input, listing, liveTable, textarea } from './pages.js';
import { EVERY_MS } from './assemblies.js';

const assemblyId = (uri) => (uri || '').split('/').pop();
const assemblyHref = (uri) => (assemblyId(uri) ? `#/assemblies/${encodeURIComponent(assemblyId(uri))}` : '');
const assemblyLink = (uri, text) => (assemblyId(uri) ? h('a', { href: assemblyHref(uri) }, text || assemblyId(uri)) : '-');

async function simplePage(page, signal, title, intro, section) {
  add(page, h('h1', {}, title), intro ? h('p', { class: 'muted' }, intro) : null, section.element);
  await section.reload(signal);
}

const condition = (item, type) => (item.status?.conditions || []).find((c) => c.type === type);
const text = (value) => (value === null || value === undefined ? '-' : String(value));

/** Scalers (docs/autoscaling.md), read again every 2 s: what each aims at and last saw. */
export async function scalersPage(page, { signal }) {
  const scalers = liveTable({
    id: 'scalers-table',
    empty: 'No scaler yet (POST /v3/scalers, docs/autoscaling.md).',
    key: (s) => s.id,
    rowAttrs: (s) => ({ 'data-testid': 'scalers-table-row', 'data-name': s.assembly, 'data-id': s.id }),
    columns: [
      { label: 'Assembly', key: 'scaler-assembly', text: (s) => s.assembly || '(gone)', href: (s) => assemblyHref(s.assembly_uri) },
      { label: 'Min', key: 'scaler-min', text: (s) => s.min, class: 'num' },
      { label: 'Max', key: 'scaler-max', text: (s) => s.max, class: 'num' },
      { label: 'Target', key: 'scaler-target', text: (s) => `${s.target} (${s.target_type})`, title: (s) => s.query },
      { label: 'Last value', key: 'scaler-value', text: (s) => text(s.status?.value), class: 'num' },
      { label: 'Replicas', key: 'scaler-replicas', text: (s) => text(s.status?.replicas), class: 'num' },
      { label: 'Active', key: 'scaler-active', text: (s) => {
        const active = condition(s, 'ScalingActive');
        if (!active) return 'not yet';
        return active.status === 'True' ? 'yes' : `no: ${active.reason}`;
      }, title: (s) => condition(s, 'ScalingActive')?.message },
    ],
  });
  add(page, h('h1', {}, 'Scalers'),
    h('p', { class: 'muted' }, 'Each changes its assembly\'s replicas to follow a Prometheus metric.'),
    scalers.element);
  poll(async (s) => scalers.update((await api.get('/v3/scalers', { signal: s })).items || []), EVERY_MS, signal);
}

export function routesPage(page, { signal }) {
  return simplePage(page, signal, 'Routes', 'Hostnames the reverse proxy serves in front of an assembly\'s port.', listing({
    id: 'routes-table',
    empty: 'No route yet (vertice routes, POST /v3/routes).',
    load: (s) => api.items('/v3/routes', {}, { signal: s }),
    columns: [
      { label: 'Hostname', cell: (r) => r.hostname, key: 'route-hostname' },
      { label: 'Path', cell: (r) => r.path_prefix || '/' },
      { label: 'Assembly', cell: (r) => assemblyLink(r.assembly_uri) },
      { label: 'Port', cell: (r) => r.port, class: 'num' },
      { label: 'TLS', cell: (r) => r.tls },
      { label: 'Phase', cell: (r) => phase(r.status?.phase), key: 'phase' },
      { label: 'Upstreams', cell: (r) => (r.status?.upstreams || []).join(', ') || '-' },
      { label: 'URL', cell: (r) => h('code', {}, r.url || '-') },
    ],
  }));
}

export function disksPage(page, { signal }) {
  return simplePage(page, signal, 'Disks', 'Disks of their own, attached to an instance or not.', listing({
    id: 'disks-table',
    empty: 'No disk yet (vertice disks create).',
    load: (s) => api.items('/v3/disks', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (d) => d.name, key: 'name' },
      { label: 'Project', cell: (d) => d.project },
      { label: 'Region', cell: (d) => d.region },
      { label: 'Size (GiB)', cell: (d) => d.size_gb, class: 'num' },
      { label: 'Attached to', cell: (d) => (d.attach ? [assemblyLink(d.attach.assembly.uri, d.attach.assembly.name), ` #${d.attach.instance}`] : '-') },
      { label: 'Phase', cell: (d) => phase(d.phase), key: 'phase' },
      { label: 'Device', cell: (d) => d.observed?.device || '-' },
      { label: 'Message', cell: (d) => d.message || '-' },
    ],
  }));
}

export function snapshotsPage(page, { signal }) {
  return simplePage(page, signal, 'Snapshots', 'Images of an instance\'s disk, to launch new assemblies from.', listing({
    id: 'snapshots-table',
    empty: 'No snapshot yet (vertice snapshot create).',
    load: (s) => api.items('/v3/snapshots', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (n) => n.name, key: 'name' },
      { label: 'Assembly', cell: (n) => assemblyLink(n.assembly?.uri, n.assembly?.name) },
      { label: 'Instance', cell: (n) => n.instance, class: 'num' },
      { label: 'Region', cell: (n) => n.region },
      { label: 'Phase', cell: (n) => phase(n.phase), key: 'phase' },
      { label: 'Image', cell: (n) => h('code', {}, n.image_id || '-') },
      { label: 'Created', cell: (n) => when(n.created_at) },
      { label: 'Message', cell: (n) => n.message || '-' },
    ],
  }));
}

export async function sshKeysPage(page, { signal }) {
  const keys = listing({
    id: 'sshkeys-table',
    empty: 'No stored key yet.',
    load: (s) => api.items('/v3/sshkeys', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (k) => k.name, key: 'name' },
      { label: 'Project', cell: (k) => k.project },
      { label: 'Fingerprint', cell: (k) => h('code', {}, k.fingerprint) },
      { label: 'Added', cell: (k) => when(k.created_at) },
    ],
  });
  const name = input('sshkey-name', '$.name', { required: true, maxlength: '63' });
  const key = textarea('sshkey-public-key', '$.public_key', { placeholder: 'ssh-ed25519 AAAA... you@laptop' });
  const form = createForm({
    id: 'sshkey-form', title: 'Add a key', path: '/v3/sshkeys', submit: 'Add key', signal,
    controls: [field('Name', name), field('Public key', key, 'One OpenSSH public key line; it goes to your first project.')],
    body: () => ({ name: name.value.trim(), public_key: key.value.trim() }),
    created: async () => {
      name.value = '';
      key.value = '';
      await keys.reload(signal);
    },
  });
  add(page, h('h1', {}, 'SSH keys'), keys.element, form);
  await keys.reload(signal);
}

const used = (quota, what) => {
  const limit = quota.limits?.[what];
  return `${quota.usage?.[what] ?? 0}/${limit === null || limit === undefined ? 'no limit' : limit}`;
};

export function quotasPage(page, { signal }) {
  return simplePage(page, signal, 'Quotas', 'What each project declares against its limits (administrators set them).', listing({
    id: 'quotas-table',
    empty: 'No quota.',
    load: (s) => api.items('/v3/quotas', {}, { signal: s }),
    columns: [
      { label: 'Project', cell: (q) => q.project, key: 'quota-project' },
      { label: 'Region', cell: (q) => q.region || '(all)' },
      { label: 'Instances', cell: (q) => used(q, 'instances') },
      { label: 'vCPUs', cell: (q) => used(q, 'vcpus') },
      { label: 'RAM (MiB)', cell: (q) => used(q, 'ram') },
      { label: 'Disk (GiB)', cell: (q) => used(q, 'disk') },
      { label: 'Routes', cell: (q) => used(q, 'routes') },
    ],
  }));
}

const GROUPS = ['assembly', 'region', 'day', 'flavor', 'state'];

export async function usagePage(page, { signal, query }) {
  const by = GROUPS.includes(query.get('by')) ? query.get('by') : 'assembly';
  const group = options(h('select', { id: 'usage-by', 'data-testid': 'usage-by', 'data-path': '$.by' }), GROUPS.map((g) => [g, g]), by);
  group.addEventListener('change', () => {
    window.location.hash = `#/usage?by=${group.value}`;
  });
  const usage = listing({
    id: 'usage-table',
    empty: 'No usage metered in this range.',
    caption: 'This month so far (UTC)',
    load: async (s) => {
      const report = await api.get('/v3/billing/usage', { query: { by }, signal: s });
      const totals = (report.totals || []).map((t) => ({ ...t, project: 'TOTAL', total: true }));
      return [...(report.lines || []), ...totals];
    },
    columns: [
      { label: 'Project', cell: (l) => (l.total ? h('strong', {}, 'TOTAL') : l.project) },
      { label: by[0].toUpperCase() + by.slice(1), cell: (l) => l[by] ?? '-' },
      { label: 'Instance-hours', cell: (l) => l.instance_hours ?? '-', class: 'num' },
      { label: 'Amount', cell: (l) => `${l.amount} ${l.currency}`, class: 'num', key: 'usage-amount' },
    ],
  });
  const balances = listing({
    id: 'balances-table',
    empty: 'No balance.',
    load: async (s) => {
      const answer = await api.get('/v3/balances', { signal: s });
      return (answer.balances || []).flatMap((b) => (b.balances.length ? b.balances : [{ currency: '-', credited: '0', charged: '0', balance: '0' }])
        .map((c) => ({ ...c, project: b.project, standing: b.standing, name: b.project })));
    },
    columns: [
      { label: 'Project', cell: (b) => b.project, key: 'balance-project' },
      { label: 'Standing', cell: (b) => b.standing },
      { label: 'Currency', cell: (b) => b.currency },
      { label: 'Credited', cell: (b) => b.credited, class: 'num' },
      { label: 'Charged', cell: (b) => b.charged, class: 'num' },
      { label: 'Balance', cell: (b) => b.balance, class: 'num', key: 'balance' },
    ],
  });
  add(page, h('h1', {}, 'Usage'), field('Group by', group), usage.element, h('h2', {}, 'Balances'), balances.element);
  await Promise.all([usage.reload(signal), balances.reload(signal)]);
}
