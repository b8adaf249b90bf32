"""`template-registry serve`: a local implementation of the model-templates API.

Modules: `settings` (options and access policy), `store` (SQLite), `faults` (fault
injection and latency), `requestlog` (the `--request-log` lines), `deps` (auth,
accounts and bodies, shared by the routes), `app` (the FastAPI app and the template
calls), `model_bodies` and `model_routes` (the model calls, `/v4/models`), `main`
(socket, uvicorn, signals).
Only this package imports FastAPI and uvicorn; nothing is imported here, so importing
`registry.server` stays cheap.
"""
