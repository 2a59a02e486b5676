// Who is logged in, shared by the pages: {name, admin, projects} or null. The token itself
// stays in api.js (sessionStorage); this is what the API said about it.

export const session = { user: null };

/** A page for administrators only: true when the caller is one, else the page says so. */
export function adminOnly(page, title) {
  if (session.user && session.user.admin) return true;
  const heading = document.createElement('h1');
  heading.textContent = title;
  const note = document.createElement('p');
  note.dataset.testid = 'admin-only';
  note.id = 'admin-only';
  note.textContent = 'This page is for administrators; the API refuses it to other users too.';
  page.append(heading, note);
  return false;
}
