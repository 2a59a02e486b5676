// The source part of an assembly's page (assembly.js), for an assembly built from a git
// repository (docs/applications.md): the source as the API shows it (its URL without
// credentials, the branch; a token or deploy key only said to be set), the release the
// instances run, the assembly's builds (links to their pages), and a rollback to an earlier
// successful build: chosen, confirmed in the page, then POST /v3/assembly/{id}/rollback
// {"revision": N}. Nothing is rebuilt: the earlier image is rolled out one instance at a time.

import * as api from './api.js';
import { clearAlert, field, fill, h, notify, options, showError } from './dom.js';
import { liveTable } from './pages.js';
import { buildHref, commitOf, duration, refOf, whenText, why } from './builds.js';

function sourceFields(doc) {
  const source = doc.source;
  const release = doc.release;
  const secret = [source.token_set ? 'a token' : '', source.deploy_key_set ? 'a deploy key' : ''].filter(Boolean);
  const rows = [
    ['Repository', h('code', {}, source.url)],
    ['Branch', refOf(source)],
    ['Subdirectory', source.subdirectory || null],
    ['Recipe', source.recipe || 'detected'],
    ['Credential', secret.length ? `${secret.join(' and ')} (stored, never shown)` : null],
    ['Release', release
      ? [h('a', { href: `#/builds/${encodeURIComponent(release.build_id)}` }, `revision ${release.revision}`),
        ` (commit ${commitOf(release)}, image `, h('code', {}, release.image), ')']
      : 'none yet: the instances wait for a successful build'],
  ];
  return h('dl', { class: 'spec', id: 'assembly-source', 'data-testid': 'assembly-source' },
    rows.filter(([, value]) => value !== null && value !== '')
      .map(([label, value]) => [h('dt', {}, label), h('dd', { 'data-field': label }, value)]));
}

/**
 * The section, hidden until the assembly shows a source. `update(doc, signal)` draws it
 * again (the assembly page's refresh calls it every 2 s); `changed()` runs after a rollback.
 */
export function sourceSection(uri, signal, changed) {
  let doc = null;
  let choices = null;
  let drawn = '';
  const sourceBox = h('div', {});
  const builds = liveTable({
    id: 'assembly-builds',
    empty: 'No build yet.',
    key: (b) => b.id,
    rowAttrs: (b) => ({ 'data-testid': 'assembly-build-row', 'data-id': b.id, 'data-phase': b.state, 'data-revision': b.revision }),
    columns: [
      { label: 'Revision', key: 'build-revision', text: (b) => b.revision, href: buildHref, testid: 'build-link', class: 'num' },
      { label: 'State', key: 'build-state', text: (b) => b.state, badge: true, title: why },
      { label: 'Release', key: 'build-release', text: (b) => (doc?.release?.build_id === b.id ? 'running now' : '') },
      { label: 'Ref', key: 'build-ref', text: refOf },
      { label: 'Commit', key: 'build-commit', text: commitOf, title: (b) => b.commit },
      { label: 'Started', key: 'build-started', text: (b) => whenText(b.started_at), title: (b) => b.started_at },
      { label: 'Duration', key: 'build-duration', text: (b) => duration(b.duration), class: 'num' },
    ],
  });
  const select = h('select', { id: 'rollback-build', 'data-testid': 'rollback-build', 'data-path': '$.revision' });
  const rollback = h('button', { type: 'button', id: 'action-rollback', 'data-testid': 'action-rollback' }, 'Roll back');
  const confirmBox = h('div', { class: 'confirm', id: 'rollback-confirm', 'data-testid': 'rollback-confirm', hidden: true });
  const element = h('section', { 'aria-labelledby': 'source-title', hidden: true },
    h('h2', { id: 'source-title' }, 'Source'), sourceBox,
    h('h3', {}, 'Builds'), builds.element,
    h('div', { class: 'card rollback' },
      h('h3', {}, 'Roll back'),
      h('p', { class: 'muted small' }, 'Run an earlier successful build\'s image again, one instance at a time; nothing is rebuilt.'),
      h('div', { class: 'actions' }, field('Earlier build', select), rollback),
      confirmBox));

  /** The successful builds older than the release, newest first. */
  const earlier = (items) => {
    const current = doc?.release?.revision;
    if (!current) return [];
    return items.filter((b) => b.state === 'succeeded' && b.revision < current)
      .sort((a, b) => b.revision - a.revision);
  };

  const offer = (targets) => {
    const text = targets.map((b) => `${b.revision}:${b.commit}`).join(',');
    if (text === choices) return;
    choices = text;
    const kept = select.value;
    const listed = targets.map((b) => [String(b.revision), `revision ${b.revision}, commit ${commitOf(b)} (${whenText(b.finished_at)})`]);
    options(select, listed.length ? listed : [['', 'no earlier successful build']], kept || (listed[0] || [''])[0]);
    select.disabled = !listed.length;
    rollback.disabled = !listed.length;
    if (!listed.length) confirmBox.hidden = true;
  };

  const update = async (current, s) => {
    doc = current;
    element.hidden = !doc.source;
    if (!doc.source) return;
    const shown = JSON.stringify([doc.source, doc.release]);
    if (shown !== drawn) {
      drawn = shown;
      fill(sourceBox, sourceFields(doc));
    }
    const listing = await api.get('/v3/builds', { query: { assembly: doc.id, project: doc.project }, signal: s });
    const items = listing.items || [];
    builds.update(items);
    offer(earlier(items));
  };

  const ask = () => {
    const revision = Number(select.value);
    if (!revision) return;
    const go = h('button', { type: 'button', class: 'danger', id: 'confirm-rollback', 'data-testid': 'confirm-rollback' }, `Roll back to revision ${revision}`);
    const keep = h('button', { type: 'button', id: 'cancel-rollback', 'data-testid': 'cancel-rollback' }, 'Keep the current release');
    fill(confirmBox,
      h('p', {}, h('strong', {}, `Roll ${doc.name} back to revision ${revision}?`),
        ` It runs revision ${doc.release.revision} now; each instance is replaced by one of revision ${revision}.`),
      h('div', { class: 'actions' }, go, keep));
    confirmBox.hidden = false;
    keep.addEventListener('click', () => {
      confirmBox.hidden = true;
      rollback.focus();
    });
    go.addEventListener('click', async () => {
      go.disabled = true;
      clearAlert();
      try {
        const answer = await api.post(`${uri}/rollback`, { revision }, { signal });
        confirmBox.hidden = true;
        notify(`${doc.name}: rolling back to revision ${answer.data.revision} (commit ${commitOf(answer.data)}).`);
        await changed();
      } catch (error) {
        if (error.name !== 'AbortError') showError(error);
        go.disabled = false;
      }
    });
    keep.focus();
  };
  rollback.addEventListener('click', ask);

  /** The assembly is gone: nothing to roll back. */
  const disable = () => {
    select.disabled = true;
    rollback.disabled = true;
    confirmBox.hidden = true;
  };
  return { element, update, disable };
}
