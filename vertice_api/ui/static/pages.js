// What the list pages share (admin.js, other.js): a list that reloads, a create form that
// sends a body and shows the API's 422 problems at its fields, and value parsing.

import * as api from './api.js';
import { clearAlert, clearProblems, fill, h, notify, problemAt, showError, showProblems, table } from './dom.js';

/**
 * A section listing a collection: `load(signal)` resolves to the items; `columns` as
 * `table()` takes them; every row gets `data-name` (its `name`, else its `id`).
 */
export function listing({ id, columns, load, empty, caption }) {
  const box = h('div', { id, 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading...'));
  const reload = async (signal) => {
    try {
      const rows = await load(signal);
      fill(box, table(columns, rows, {
        testid: id, empty, caption,
        rowAttrs: (item) => ({ 'data-name': item.name ?? item.id ?? '', 'data-testid': `${id}-row` }),
      }));
    } catch (error) {
      if (error.name === 'AbortError') return;
      fill(box);
      showError(error);
    }
  };
  return { element: box, reload };
}

/** A text control: `input('region-name', '$.name', {type: 'text'})`. */
export function input(id, path, attrs = {}) {
  return h('input', { type: 'text', id, 'data-testid': id, 'data-path': path, autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function textarea(id, path, attrs = {}) {
  return h('textarea', { id, 'data-testid': id, 'data-path': path, autocomplete: 'off', spellcheck: 'false', ...attrs });
}

/** A number when the text is one, else the text itself (so the API names what is wrong). */
export function numberOrText(text) {
  const value = text.trim();
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/** The JSON object in `control` (empty: `{}`), or undefined after showing the problem. */
export function jsonObject(form, control) {
  const text = control.value.trim();
  if (!text) return {};
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    problemAt(form, control, 'must be a JSON object, such as {"key": "value"}');
  } catch (error) {
    problemAt(form, control, `is not valid JSON: ${error.message}`);
  }
  return undefined;
}

/**
 * A create form: `body()` builds the request body (undefined: a local problem was shown);
 * it is POSTed to `path`; `created(answer)` runs on success.
 */
export function createForm({ id, title, path, controls, submit, body, created, signal }) {
  const button = h('button', { type: 'submit', class: 'primary', id: `${id}-submit`, 'data-testid': `${id}-submit` }, submit);
  const form = h('form', { id, 'data-testid': id, class: 'card', novalidate: true },
    h('h2', {}, title), controls, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblems(form);
    clearAlert();
    const sent = body(form);
    if (sent === undefined) return;
    button.disabled = true;
    try {
      const answer = await api.post(path, sent, { signal });
      notify(`${answer.data?.name ?? 'It'} created.`);
      await created(answer);
    } catch (error) {
      if (error.name !== 'AbortError') showProblems(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** A comma-separated list as an array (blank entries left out). */
export function list(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * A table polled again and again whose rows are kept and changed in place, so focus,
 * selection and scrolling stay where they are: `update(items)` draws the items in their
 * order (`key(item)` names a row; rows of items gone are removed). `columns`: [{label, key,
 * text(item), href(item) (the cell is a link), badge (the text is a phase), title(item),
 * class, testid (of the link)}]; `rowAttrs(item)`: the row's attributes, set each time.
 */
export function liveTable({ id, columns, key, rowAttrs, empty = 'Nothing yet.', caption }) {
  const body = h('tbody', {});
  const summary = h('caption', { class: 'muted small' }, caption || '');
  const wrap = h('div', { class: 'table-wrap', hidden: true },
    h('table', { class: 'cards', id, 'data-testid': id },
      caption === undefined ? null : summary,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      body));
  const none = h('p', { class: 'muted', id: `${id}-empty`, 'data-testid': `${id}-empty`, hidden: true }, empty);
  const rows = new Map();

  const draw = (td, column, item) => {
    const text = String(column.text(item) ?? '-') || '-';
    const href = column.href ? column.href(item) : '';
    const title = column.title ? column.title(item) || '' : '';
    let inner = td;
    if (column.badge || href) {
      const tag = href ? 'a' : 'span';
      if (!td.firstChild || td.firstChild.tagName !== tag.toUpperCase()) {
        fill(td, h(tag, { 'data-testid': column.testid }));
      }
      inner = td.firstChild;
      if (href && inner.getAttribute('href') !== href) inner.setAttribute('href', href);
      if (column.badge && inner.className !== `phase phase-${text}`) inner.className = `phase phase-${text}`;
    }
    if (inner.textContent !== text) inner.textContent = text;
    if (inner.title !== title) inner.title = title;
  };

  const update = (items) => {
    const seen = new Set();
    items.forEach((item, index) => {
      const name = key(item);
      let tr = rows.get(name);
      if (!tr) {
        tr = h('tr', {}, columns.map((c) => h('td', { class: c.class, 'data-label': c.label, 'data-testid': c.key })));
        rows.set(name, tr);
      }
      for (const [attr, value] of Object.entries(rowAttrs ? rowAttrs(item) : {})) {
        if (tr.getAttribute(attr) !== String(value)) tr.setAttribute(attr, String(value));
      }
      columns.forEach((column, at) => draw(tr.children[at], column, item));
      if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
      seen.add(name);
    });
    for (const [name, tr] of rows) {
      if (!seen.has(name)) {
        tr.remove();
        rows.delete(name);
      }
    }
    wrap.hidden = items.length === 0;
    none.hidden = items.length !== 0;
  };

  /** Say something in the table's caption (when it was made with one). */
  const say = (text) => {
    if (summary.textContent !== text) summary.textContent = text;
  };
  return { element: h('div', {}, wrap, none), update, say };
}
