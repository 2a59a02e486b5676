"""The route controller: makes the installation's reverse proxy serve the declared routes."""
