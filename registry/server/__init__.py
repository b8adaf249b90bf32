"""`template-registry serve`: a local implementation of the model-templates API.

Modules: `settings` (options and access policy), `store` (SQLite), `faults` (fault
injection and latency), `app` (the FastAPI app), `main` (socket, uvicorn, signals).
Only this package imports FastAPI and uvicorn; nothing is imported here, so importing
`registry.server` stays cheap.
"""
