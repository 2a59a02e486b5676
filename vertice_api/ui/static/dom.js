// Small DOM helpers shared by the pages: elements (text only, never HTML from the API),
// form fields with their error slots, the alert, 422 problems at their fields, tables, time.

/** An element: `h('a', {href, class: 'x', 'data-testid': 't', onclick: fn}, 'text', child)`. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      element.className = value;
    } else if (['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'multiple'].includes(key)) {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Add `children` to `element` (null, undefined and false left out, arrays flattened). */
export function add(element, ...children) {
  append(element, children);
  return element;
}

/** Replace the children of `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * A labelled control with a hint and an error slot. `control` is the input, select or
 * textarea (its `id` names the label; `data-path` the JSON path of the API's 422 problems).
 */
export function field(label, control, hint) {
  const id = control.id;
  const error = h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `${id}-error`, 'aria-live': 'polite' });
  const described = [hint ? `${id}-hint` : '', error.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null,
    control,
    error);
}

export function options(select, choices, selected) {
  fill(select, choices.map(([value, text]) => h('option', { value, selected: value === selected }, text)));
  return select;
}

// The alert (errors) and the notice (what was done).

const alertBox = () => document.getElementById('alert');
const noticeBox = () => document.getElementById('notice');
let alertSource = '';

/** Show an error (an ApiError, an Error or a string); `extra` lines are listed under it. */
export function showError(error, extra = [], source = '') {
  const title = error.title || (error.status ? `Error ${error.status}` : 'Error');
  const description = error.description ?? error.message ?? String(error);
  const box = alertBox();
  fill(box,
    h('span', { class: 'title' }, title),
    description ? h('span', { class: 'description' }, description) : null,
    extra.length ? h('ul', {}, extra.map((line) => h('li', {}, line))) : null);
  box.dataset.status = String(error.status ?? '');
  box.hidden = false;
  alertSource = source;
}

/** Hide the alert (only if `source` put it there, when given). */
export function clearAlert(source) {
  if (source !== undefined && source !== alertSource) return;
  alertBox().hidden = true;
  fill(alertBox());
}

export function notify(text) {
  fill(noticeBox(), text);
  noticeBox().hidden = false;
}

export function clearNotice() {
  noticeBox().hidden = true;
}

// 422 problems at their fields.

/** The parent of a JSON path: `$.a.b` -> `$.a`, `$.x['k']` -> `$.x`, `$.l[0]` -> `$.l`. */
export function parentPath(path) {
  const match = path.match(/^(.*?)(\[(?:'[^']*'|"[^"]*"|[^\]]*)\]|\.[^.[\]]+)$/);
  return match && match[1] ? match[1] : null;
}

export function clearProblems(form) {
  for (const control of form.querySelectorAll('[data-path]')) {
    control.removeAttribute('aria-invalid');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) slot.textContent = '';
  }
}

/**
 * Show an API error: each 422 problem next to the control whose `data-path` is its path (or
 * the nearest parent path a control has, the rest of the path said in the message); the
 * alert says the error and lists the problems no control could take.
 */
export function showProblems(form, error) {
  clearProblems(form);
  const controls = new Map([...form.querySelectorAll('[data-path]')]
    .filter((c) => !c.disabled && !c.closest('[hidden]'))
    .map((c) => [c.dataset.path, c]));
  const unplaced = [];
  let first = null;
  for (const problem of error.problems || []) {
    let at = problem.path;
    while (at && !controls.has(at)) at = parentPath(at);
    const control = at && controls.get(at);
    const slot = control && document.getElementById(`${control.id}-error`);
    if (!slot) {
      unplaced.push(`${problem.path}: ${problem.message}`);
      continue;
    }
    const rest = problem.path.slice(at.length).replace(/^\./, '');
    const line = rest ? `${rest}: ${problem.message}` : problem.message;
    slot.textContent = slot.textContent ? `${slot.textContent}; ${line}` : line;
    control.setAttribute('aria-invalid', 'true');
    first = first || control;
  }
  if (error.problems && error.problems.length && !unplaced.length) {
    showError({ title: error.title, status: error.status, description: 'Correct the fields marked below.' });
  } else {
    showError(error, unplaced);
  }
  if (first) first.focus();
}

/** A local problem at one control (before anything is sent), shown like the API's. */
export function problemAt(form, control, message) {
  showProblems(form, { status: 0, title: 'Invalid input', problems: [{ path: control.dataset.path, message }] });
}

// Tables

/**
 * A table. `columns`: [{label, cell: (item) => node|text, class, key}], `rowAttrs(item)`:
 * attributes of each row. On a phone every row is a card whose cells say their label.
 */
export function table(columns, rows, { caption, empty = 'Nothing yet.', rowAttrs, testid } = {}) {
  if (!rows.length) return h('p', { class: 'muted', 'data-testid': testid ? `${testid}-empty` : undefined }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'cards', 'data-testid': testid },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((item) => h('tr', rowAttrs ? rowAttrs(item) : {},
        columns.map((c) => h('td', { class: c.class, 'data-label': c.label, 'data-testid': c.key }, c.cell(item))))))));
}

export function phase(text) {
  return h('span', { class: `phase phase-${text}` }, text || '-');
}

// Time

/** How long ago `iso` was, as kubectl says it: 45s, 12m, 3h, 5d. */
export function age(iso) {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function when(iso) {
  if (!iso) return '-';
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, date.toLocaleString());
}

/**
 * Run `task(signal)` now and `ms` after each run ends, until `signal` aborts (the page was
 * left). A failure shows in the alert; the next success clears it.
 */
export function poll(task, ms, signal) {
  let timer = 0;
  const source = `poll-${Math.random()}`;
  const tick = async () => {
    if (signal.aborted) return;
    if (document.hidden) {
      // A tab in the background asks nothing; it catches up once shown again.
      timer = window.setTimeout(tick, ms);
      return;
    }
    try {
      await task(signal);
      clearAlert(source);
    } catch (error) {
      if (error.name !== 'AbortError' && !signal.aborted) showError(error, [], source);
    }
    if (!signal.aborted) timer = window.setTimeout(tick, ms);
  };
  signal.addEventListener('abort', () => window.clearTimeout(timer));
  tick();
}
