// The launch panel (#/launch), as the design document has it: 1 region, 2 a flavor of that
// region (cpu, RAM, disk, price), 3 a plan and its services, 4 the credential (a new SSH
// key, a stored one, or a root password), 5 name, project and replicas, 6 launch: POST
// /v3/assembly_factory, then the assembly's page.

import * as api from './api.js';
import { add, clearAlert, clearProblems, field, fill, h, options, problemAt, showError, showProblems } from './dom.js';
import { navigate } from './router.js';
import { session } from './session.js';

/** Values shown once after a launch (generated secret inputs), for the assembly's page. */
export const launched = { generated: null };

const select = (id, path, extra = {}) => h('select', { id, 'data-testid': id, 'data-path': path, ...extra });

function step(number, title, ...children) {
  return h('fieldset', { id: `launch-step-${number}`, 'data-testid': `launch-step-${number}` },
    h('legend', {}, h('span', { class: 'step-number', 'aria-hidden': 'true' }, number), title),
    children);
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('b', {}, label), value);
}

function memory(mib) {
  return mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`;
}

export function price(flavor, region) {
  const hourly = flavor.region_prices?.[region] ?? flavor.price_per_hour;
  return `${hourly} ${flavor.currency}/h`;
}

function displayImage(plan) {
  for (const service of plan.services || []) {
    for (const c of service.characteristics || []) {
      if (typeof c.type === 'string' && c.type.endsWith('::display_image') && c.image) return c.image;
    }
  }
  return '';
}

function monogram(name) {
  const words = name.replace(/^\d+_/, '').split(/[_\s-]+/).filter(Boolean);
  return words.slice(-2).map((w) => w[0]).join('') || '?';
}

export async function launchPage(page, { signal }) {
  add(page, h('h1', {}, 'Launch'));
  const [regions, plans, keys] = await Promise.all([
    api.items('/v3/regions', {}, { signal }),
    api.items('/v3/plan_factory', {}, { signal }),
    api.items('/v3/sshkeys', {}, { signal }),
  ]);
  const user = session.user;

  const region = options(select('launch-region', '$.region'),
    [['', 'Choose a region'], ...regions.map((r) => [r.name, `${r.name} (${r.cloud_type})${r.description ? ` - ${r.description}` : ''}`])]);
  const flavor = options(select('launch-flavor', '$.flavor', { disabled: true }), [['', 'Choose a region first']]);
  const flavorFacts = h('div', { id: 'launch-flavor-facts', 'data-testid': 'launch-flavor-facts', class: 'flavor-facts', 'aria-live': 'polite' });
  const plan = options(select('launch-plan', '$.plan_uri'),
    [['', 'Choose a plan'], ...plans.map((p) => [p.uri, p.name])]);
  const planDetails = h('div', { id: 'launch-plan-details', 'data-testid': 'launch-plan-details', 'aria-live': 'polite' });
  const inputs = h('div', { id: 'launch-inputs' });

  const publicKey = h('textarea', { id: 'launch-public-key', 'data-testid': 'launch-public-key', 'data-path': '$.credential.public_key', spellcheck: 'false', placeholder: 'ssh-ed25519 AAAA... you@laptop' });
  const storedKey = options(select('launch-sshkey', '$.credential.name'), keys.map((k) => [k.name, `${k.name} (${k.project}, ${k.fingerprint})`]));
  const password = h('input', { type: 'password', id: 'launch-password', 'data-testid': 'launch-password', 'data-path': '$.credential.password', autocomplete: 'new-password', minlength: '8', maxlength: '128' });
  const credentialKinds = [
    ['ssh_public_key', 'A new SSH public key', field('SSH public key', publicKey, 'One OpenSSH public key line.')],
    ['ssh_key', 'A stored SSH key', keys.length ? field('Stored key', storedKey) : h('p', { class: 'muted' }, 'No stored key yet: add one on the SSH keys page.')],
    ['root_password', 'A root password', field('Root password', password, '8 to 128 characters; sealed at rest, never shown again.')],
    ['none', 'None', null],
  ];
  const panels = {};
  const credentialStep = h('div', { id: 'launch-credential', 'data-path': '$.credential' });
  const kindChoices = credentialKinds.map(([kind, label, control]) => {
    panels[kind] = h('div', { class: 'credential-panel', hidden: true }, control);
    return h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'credential-kind', value: kind, id: `launch-credential-${kind}`, 'data-testid': `launch-credential-${kind}` }),
      label);
  });
  fill(credentialStep, h('div', { role: 'radiogroup', 'aria-label': 'Credential' }, kindChoices),
    Object.values(panels), h('p', { class: 'field-error', id: 'launch-credential-error', 'data-testid': 'launch-credential-error' }));

  const name = h('input', { type: 'text', id: 'launch-name', 'data-testid': 'launch-name', 'data-path': '$.name', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: '63' });
  const project = options(select('launch-project', '$.project'), (user.projects || []).map((p) => [p, p]));
  const replicas = h('input', { type: 'number', id: 'launch-replicas', 'data-testid': 'launch-replicas', 'data-path': '$.replicas', min: '0', step: '1', value: '1', inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'launch-submit', 'data-testid': 'launch-submit' }, 'Launch');

  const form = h('form', { id: 'launch-form', novalidate: true },
    step(1, 'Region', field('Region', region, 'Where the instances run.')),
    step(2, 'Flavor', field('Flavor', flavor, 'The flavors offered in the region: vCPUs, RAM, disk and price.'), flavorFacts),
    step(3, 'Plan', field('Plan', plan, 'What runs: the plan\'s services.'), planDetails, inputs),
    step(4, 'Credential', credentialStep),
    step(5, 'Name',
      h('div', { class: 'grid2' },
        field('Name', name, '1 to 63 letters, digits, ".", "_" or "-".'),
        field('Replicas', replicas, 'How many instances (0 runs none).')),
      (user.projects || []).length > 1 ? field('Project', project) : null),
    step(6, 'Launch', h('div', { class: 'actions' }, submit)));
  add(page, form);

  let flavors = [];
  const showFlavor = () => {
    const chosen = flavors.find((f) => f.name === flavor.value);
    fill(flavorFacts, chosen ? [
      fact('vCPUs', chosen.cpu), fact('RAM', memory(chosen.ram)), fact('Disk', `${chosen.disk} GiB`),
      fact('Price', price(chosen, region.value)),
      chosen.stopped_price_per_hour ? fact('Stopped', `${chosen.stopped_price_per_hour} ${chosen.currency}/h`) : null,
    ] : []);
  };
  region.addEventListener('change', async () => {
    if (!region.value) {
      flavors = [];
      options(flavor, [['', 'Choose a region first']]);
      flavor.disabled = true;
      showFlavor();
      return;
    }
    try {
      flavors = await api.items('/v3/flavors', { region: region.value }, { signal });
    } catch (error) {
      if (error.name !== 'AbortError') showError(error);
      return;
    }
    // The flavor chosen meanwhile (while the flavors were read) is kept when offered.
    const wanted = flavor.value;
    const label = (f) => `${f.name}: ${f.cpu} vCPU, ${memory(f.ram)} RAM, ${f.disk} GiB disk, ${price(f, region.value)}`;
    options(flavor, flavors.length ? flavors.map((f) => [f.name, label(f)]) : [['', 'No flavor is offered in this region']],
      flavors.some((f) => f.name === wanted) ? wanted : undefined);
    flavor.disabled = !flavors.length;
    showFlavor();
  });
  flavor.addEventListener('change', showFlavor);

  let planInputs = [];
  plan.addEventListener('change', async () => {
    fill(planDetails);
    fill(inputs);
    planInputs = [];
    if (!plan.value) return;
    let document_;
    try {
      document_ = await api.get(plan.value, { signal });
    } catch (error) {
      if (error.name !== 'AbortError') showError(error);
      return;
    }
    const image = displayImage(document_);
    fill(planDetails, h('div', { class: 'plan-head' },
      h('div', { class: 'plan-image', 'aria-hidden': 'true', title: image || document_.name }, monogram(document_.name)),
      h('div', {},
        h('strong', {}, document_.name),
        h('p', { class: 'small' }, document_.description || ''),
        image ? h('p', { class: 'small muted' }, `Display image: ${image}`) : null)),
    h('h3', {}, 'Services'),
    h('ul', { class: 'services', id: 'launch-plan-services', 'data-testid': 'launch-plan-services' }, (document_.services || []).map((s) =>
      h('li', {}, h('strong', {}, s.name), s.description ? ` - ${s.description}` : '',
        s.href && /^https?:\/\//.test(s.href) ? [' (', h('a', { href: s.href, rel: 'noopener noreferrer', target: '_blank' }, 'site'), ')'] : null))));
    planInputs = document_.inputs || [];
    if (planInputs.length) inputs.append(h('h3', {}, 'Inputs'));
    planInputs.forEach((input, index) => {
      const id = `launch-input-${index}`;
      const attrs = { id, 'data-testid': id, 'data-path': `$.inputs['${input.name}']`, 'data-name': input.name, autocomplete: 'off' };
      const control = input.type === 'boolean'
        ? options(h('select', attrs), [['', input.default ? `default (${input.default})` : 'not set'], ['true', 'true'], ['false', 'false']])
        : h('input', { ...attrs, type: input.secret ? 'password' : (input.type === 'string' ? 'text' : 'number'), placeholder: input.default ?? '' });
      const how = input.default !== null ? `default ${input.default}` : (input.generate ? 'generated when left empty, shown once' : 'required');
      inputs.append(field(input.name, control, `${input.description || ''} (${how}${input.secret ? ', secret' : ''})`));
    });
  });

  const chooseKind = (kind) => {
    for (const [k, panel] of Object.entries(panels)) panel.hidden = k !== kind;
    const radio = document.getElementById(`launch-credential-${kind}`);
    if (radio) radio.checked = true;
  };
  credentialStep.addEventListener('change', (event) => {
    if (event.target.name === 'credential-kind') chooseKind(event.target.value);
  });
  chooseKind(keys.length ? 'ssh_key' : 'ssh_public_key');
  if (regions.length === 1) {
    region.value = regions[0].name;
    region.dispatchEvent(new Event('change'));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblems(form);
    clearAlert();
    const kind = form.querySelector('input[name="credential-kind"]:checked')?.value || 'none';
    if (!region.value) return problemAt(form, region, 'choose a region');
    if (!flavor.value) return problemAt(form, flavor, 'choose a flavor');
    if (!plan.value) return problemAt(form, plan, 'choose a plan');
    const body = { name: name.value.trim(), plan_uri: plan.value, region: region.value, flavor: flavor.value };
    const count = replicas.value.trim();
    if (count !== '') body.replicas = /^-?\d+$/.test(count) ? Number(count) : count;
    if (kind === 'ssh_public_key') body.credential = { kind, public_key: publicKey.value.trim() };
    if (kind === 'ssh_key') body.credential = { kind, name: storedKey.value };
    if (kind === 'root_password') body.credential = { kind, password: password.value };
    if ((user.projects || []).length > 1 && project.value) body.project = project.value;
    const given = {};
    planInputs.forEach((input, index) => {
      const value = document.getElementById(`launch-input-${index}`).value;
      if (value !== '') given[input.name] = value;
    });
    if (Object.keys(given).length) body.inputs = given;
    submit.disabled = true;
    try {
      const answer = await api.post('/v3/assembly_factory', body, { signal });
      const generated = answer.data.generated_inputs;
      launched.generated = generated && Object.keys(generated).length ? { id: answer.data.id, values: generated } : null;
      navigate(`#/assemblies/${encodeURIComponent(answer.data.id)}`);
    } catch (error) {
      if (error.name !== 'AbortError') showProblems(form, error);
    } finally {
      submit.disabled = false;
    }
    return undefined;
  });
}
