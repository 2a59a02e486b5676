"""The web interface: static files served by the API's own app (`/ui`), and `/docs`.

The interface is plain HTML, CSS and JavaScript modules in `static/`, a client of
the public `/v3` API only (the user's token in the `Authorization` header, kept in
the browser's session storage). `serve` holds the Falcon resources and their
routes (`ui_routes`); `vendor` fetches Swagger UI (npm's `swagger-ui-dist`, pinned
and verified) into a local cache for `/docs`. See README.md beside this file.
"""
