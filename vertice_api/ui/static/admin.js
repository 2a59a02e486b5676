// The administrators' pages: regions (credentials write-only: only which fields are set is
// ever shown, as the API says), flavors, users (a new user's token shown once), projects.
// The navigation shows them to administrators only; the API refuses them to others anyway.

import * as api from './api.js';
import { add, field, fill, h, options, when } from './dom.js';
import { price } from './launch.js';
import { createForm, input, jsonObject, list, listing, numberOrText, textarea } from './pages.js';
import { adminOnly } from './session.js';

const json = (value) => h('code', {}, value && Object.keys(value).length ? JSON.stringify(value) : '-');

export async function regionsPage(page, { signal }) {
  if (!adminOnly(page, 'Regions')) return;
  const regions = listing({
    id: 'regions-table',
    empty: 'No region yet.',
    load: (s) => api.items('/v3/regions', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (r) => r.name, key: 'name' },
      { label: 'Cloud type', cell: (r) => r.cloud_type },
      { label: 'Provider region', cell: (r) => r.provider_region || '-' },
      { label: 'Endpoint', cell: (r) => h('code', {}, r.endpoint || '-') },
      { label: 'Settings', cell: (r) => json(r.settings) },
      { label: 'Credentials set', cell: (r) => (r.credentials_set || []).join(', ') || 'none', key: 'credentials-set' },
      { label: 'Updated', cell: (r) => when(r.updated_at) },
    ],
  });
  const drivers = await api.items('/v3/drivers', {}, { signal });
  const cloudType = options(h('select', { id: 'region-cloud-type', 'data-testid': 'region-cloud-type', 'data-path': '$.cloud_type' }),
    [['', 'Choose a cloud type'], ...drivers.map((d) => [d.cloud_type, d.error ? `${d.cloud_type} (unusable: ${d.error})` : `${d.cloud_type} - ${d.description}`])]);
  const name = input('region-name', '$.name', { required: true, maxlength: '63' });
  const provider = input('region-provider-region', '$.provider_region');
  const endpoint = input('region-endpoint', '$.endpoint', { placeholder: 'https://cloud.example.com:2633/RPC2' });
  const description = input('region-description', '$.description');
  const settings = textarea('region-settings', '$.settings', { placeholder: '{"boot_time": 2}' });
  const credentials = textarea('region-credentials', '$.credentials', { placeholder: '{"user": "...", "password": "..."}' });
  const form = createForm({
    id: 'region-form', title: 'New region', path: '/v3/regions', submit: 'Create region', signal,
    controls: [
      h('div', { class: 'grid2' }, field('Name', name), field('Cloud type', cloudType, 'An installed driver (GET /v3/drivers).'),
        field('Provider region', provider, 'The provider\'s own region or cluster (optional).'),
        field('Endpoint', endpoint, 'The cloud\'s API: a URL or host:port (optional for some clouds).')),
      field('Description', description),
      field('Settings (JSON)', settings, 'A JSON object, checked against the driver\'s settings.'),
      field('Credentials (JSON)', credentials, 'A JSON object, sealed at rest and never shown again: the list says only which fields are set.'),
    ],
    body: (f) => {
      const sentSettings = jsonObject(f, settings);
      if (sentSettings === undefined) return undefined;
      const sentCredentials = jsonObject(f, credentials);
      if (sentCredentials === undefined) return undefined;
      const body = { name: name.value.trim(), cloud_type: cloudType.value };
      if (provider.value.trim()) body.provider_region = provider.value.trim();
      if (endpoint.value.trim()) body.endpoint = endpoint.value.trim();
      if (description.value.trim()) body.description = description.value.trim();
      if (Object.keys(sentSettings).length) body.settings = sentSettings;
      if (Object.keys(sentCredentials).length) body.credentials = sentCredentials;
      return body;
    },
    created: async () => {
      for (const control of [name, provider, endpoint, description, settings, credentials]) control.value = '';
      await regions.reload(signal);
    },
  });
  add(page, h('h1', {}, 'Regions'), regions.element, form);
  await regions.reload(signal);
}

export async function flavorsPage(page, { signal }) {
  if (!adminOnly(page, 'Flavors')) return;
  const flavors = listing({
    id: 'flavors-table',
    empty: 'No flavor yet.',
    load: (s) => api.items('/v3/flavors', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (f) => f.name, key: 'name' },
      { label: 'vCPUs', cell: (f) => f.cpu, class: 'num' },
      { label: 'RAM (MiB)', cell: (f) => f.ram, class: 'num' },
      { label: 'Disk (GiB)', cell: (f) => f.disk, class: 'num' },
      { label: 'Regions', cell: (f) => (f.regions || []).join(', ') || 'all' },
      { label: 'Price', cell: (f) => price(f) },
      { label: 'Region prices', cell: (f) => json(f.region_prices) },
      { label: 'Stopped', cell: (f) => `${f.stopped_price_per_hour} ${f.currency}/h` },
    ],
  });
  const controls = {
    name: input('flavor-name', '$.name', { required: true, maxlength: '63' }),
    cpu: input('flavor-cpu', '$.cpu', { type: 'number', min: '1', inputmode: 'numeric' }),
    ram: input('flavor-ram', '$.ram', { type: 'number', min: '1', inputmode: 'numeric' }),
    disk: input('flavor-disk', '$.disk', { type: 'number', min: '0', inputmode: 'numeric' }),
    regions: input('flavor-regions', '$.regions', { placeholder: 'local, east' }),
    price: input('flavor-price', '$.price_per_hour', { type: 'number', min: '0', step: 'any' }),
    stopped: input('flavor-stopped-price', '$.stopped_price_per_hour', { type: 'number', min: '0', step: 'any' }),
    currency: input('flavor-currency', '$.currency', { placeholder: 'USD', maxlength: '3' }),
    description: input('flavor-description', '$.description'),
  };
  const c = controls;
  const form = createForm({
    id: 'flavor-form', title: 'New flavor', path: '/v3/flavors', submit: 'Create flavor', signal,
    controls: [
      h('div', { class: 'grid2' }, field('Name', c.name), field('vCPUs', c.cpu), field('RAM (MiB)', c.ram), field('Disk (GiB)', c.disk),
        field('Regions', c.regions, 'Comma-separated; empty: every region.'), field('Price per hour', c.price),
        field('Price per hour stopped', c.stopped), field('Currency', c.currency, 'ISO 4217 (default USD).')),
      field('Description', c.description),
    ],
    body: () => {
      const body = { name: c.name.value.trim(), cpu: numberOrText(c.cpu.value), ram: numberOrText(c.ram.value), disk: numberOrText(c.disk.value) };
      if (c.regions.value.trim()) body.regions = list(c.regions.value);
      if (c.price.value.trim()) body.price_per_hour = numberOrText(c.price.value);
      if (c.stopped.value.trim()) body.stopped_price_per_hour = numberOrText(c.stopped.value);
      if (c.currency.value.trim()) body.currency = c.currency.value.trim();
      if (c.description.value.trim()) body.description = c.description.value.trim();
      return body;
    },
    created: async () => {
      for (const control of Object.values(c)) control.value = '';
      await flavors.reload(signal);
    },
  });
  add(page, h('h1', {}, 'Flavors'), flavors.element, form);
  await flavors.reload(signal);
}

export async function usersPage(page, { signal }) {
  if (!adminOnly(page, 'Users')) return;
  const users = listing({
    id: 'users-table',
    empty: 'No user.',
    load: (s) => api.items('/v3/users', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (u) => u.name, key: 'name' },
      { label: 'Admin', cell: (u) => (u.admin ? 'yes' : 'no') },
      { label: 'Projects', cell: (u) => (u.projects || []).join(', ') || '-' },
      { label: 'Created', cell: (u) => when(u.created_at) },
    ],
  });
  const name = input('new-user-name', '$.name', { required: true, maxlength: '63' });
  const admin = h('input', { type: 'checkbox', id: 'user-admin', 'data-testid': 'user-admin', 'data-path': '$.admin' });
  const shown = h('div', { id: 'new-user', 'aria-live': 'polite' });
  const form = createForm({
    id: 'user-form', title: 'New user', path: '/v3/users', submit: 'Create user', signal,
    controls: [field('Name', name),
      h('label', { class: 'check', for: 'user-admin' }, admin, 'Administrator'),
      h('p', { class: 'field-error', id: 'user-admin-error' })],
    body: () => ({ name: name.value.trim(), admin: admin.checked }),
    created: async (answer) => {
      const token = h('input', { type: 'text', readonly: true, id: 'new-user-token', 'data-testid': 'new-user-token', value: answer.data.token });
      fill(shown, h('div', { class: 'once' },
        h('p', {}, h('strong', {}, `${answer.data.name}'s token, shown this once: `), 'hand it to them now.'),
        field('Token', token)));
      name.value = '';
      admin.checked = false;
      token.select();
      await users.reload(signal);
    },
  });
  add(page, h('h1', {}, 'Users'), users.element, form, shown);
  await users.reload(signal);
}

export async function projectsPage(page, { signal }) {
  if (!adminOnly(page, 'Projects')) return;
  const projects = listing({
    id: 'projects-table',
    empty: 'No project.',
    load: (s) => api.items('/v3/projects', {}, { signal: s }),
    columns: [
      { label: 'Name', cell: (p) => p.name, key: 'name' },
      { label: 'ID', cell: (p) => h('code', {}, p.id) },
      { label: 'Owner', cell: (p) => p.owner || '-' },
      { label: 'Members', cell: (p) => (p.members || []).join(', ') || '-' },
      { label: 'Invited', cell: (p) => (p.invited || []).join(', ') || '-' },
      { label: 'Created', cell: (p) => when(p.created_at) },
    ],
  });
  add(page, h('h1', {}, 'Projects'), projects.element);
  await projects.reload(signal);
}
