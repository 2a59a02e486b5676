"""vertice_api: the Falcon REST API (`/v3/...`), its auth, and the `vertice` CLI.

The API writes desired state and reads status; it never calls a driver.
"""
