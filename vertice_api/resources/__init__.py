"""The API's resources: small classes with `on_get`/`on_post`/... (Falcon's style)."""
