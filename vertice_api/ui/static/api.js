// The one way the pages talk to vertice: the public /v3 API, with the token of this
// browser tab (sessionStorage only: never a URL, never localStorage, never a cookie).
// Every failure is an ApiError {status, title, description, problems: [{path, message}]}.

const TOKEN_KEY = 'vertice.token';

export class ApiError extends Error {
  constructor(status, title, description, problems = []) {
    super(description || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.description = description;
    this.problems = problems;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let unauthorized = () => {};

/** `fn(error)` runs on any 401 (the app logs out and shows the login page). */
export function whenUnauthorized(fn) {
  unauthorized = fn;
}

/** `path` with `query`'s entries (undefined, null and '' left out) as its query string. */
export function withQuery(path, query = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

/**
 * Send one request. Options: `query`, `body` (sent as JSON unless a string), `contentType`,
 * `ifMatch` (an ETag), `signal` (an AbortSignal), `token` (another than the session's:
 * the login checks one before keeping it; a 401 then does not log out), `text` (a success's
 * body is kept as the text it is, never parsed: a build's log).
 * Resolves to {status, data, etag, location, headers}; rejects with an ApiError (or an
 * AbortError).
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: options.text ? 'text/plain, application/json' : 'application/json' };
  const bearer = options.token ?? token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  const init = {
    method,
    headers,
    signal: options.signal,
    // GETs are revalidated (If-None-Match with the ETag the browser kept): a poll of an
    // assembly that did not change is a 304 without a body.
    cache: 'no-cache',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  };
  if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType || 'application/json';
    init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(withQuery(path, options.query), init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The API cannot be reached', `${method} ${path}: ${error.message}`);
  }
  const text = await response.text();
  let data = null;
  if (options.text && response.ok) {
    data = text;
  } else if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const body = data && typeof data === 'object' ? data : {};
    const error = new ApiError(
      response.status,
      body.title || `${response.status} ${response.statusText}`.trim(),
      body.description || (typeof data === 'string' ? data.slice(0, 300) : ''),
      Array.isArray(body.problems) ? body.problems : [],
    );
    if (response.status === 401 && options.token === undefined) unauthorized(error);
    throw error;
  }
  return {
    status: response.status,
    data,
    etag: response.headers.get('ETag'),
    location: response.headers.get('Location'),
    headers: response.headers,
  };
}

export const get = async (path, options) => (await request('GET', path, options)).data;
/** A text resource (a build's log): {text, headers}, the body as it came, never parsed. */
export const text = async (path, options = {}) => {
  const answer = await request('GET', path, { ...options, text: true });
  return { text: answer.data || '', headers: answer.headers };
};
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

/** A JSON Patch (RFC 6902) of `operations`, with `If-Match` when `etag` is given. */
export function patch(path, operations, etag, options = {}) {
  return request('PATCH', path, {
    ...options,
    body: operations,
    contentType: 'application/json-patch+json',
    ifMatch: etag,
  });
}

/** Every item of a collection, following its pages (at most `limit` items). */
export async function items(path, query = {}, options = {}, limit = 5000) {
  const found = [];
  let start = 0;
  for (;;) {
    const page = await get(path, { ...options, query: { ...query, items_per_page: 500, start_index: start } });
    const got = page.items || [];
    found.push(...got);
    start += got.length;
    const total = page.total_items ?? found.length;
    if (got.length === 0 || start >= total || found.length >= limit) return found;
  }
}

/** Who the token belongs to: {name, admin, projects}, from /v3/tokens and /v3/users/{name}. */
export async function whoami(candidate, options = {}) {
  const tokens = await get('/v3/tokens', { ...options, token: candidate });
  const names = [...new Set((tokens.items || []).map((t) => t.user))];
  if (names.length !== 1) throw new ApiError(0, 'Unknown user', 'the API did not say whose token this is');
  const user = await get(`/v3/users/${encodeURIComponent(names[0])}`, { ...options, token: candidate });
  return { name: user.name, admin: Boolean(user.admin), projects: user.projects || [] };
}
