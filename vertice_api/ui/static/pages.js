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
