"""The API's interactive documentation at /docs: Swagger UI's files from the
`fastapi-offline` package, served by the app itself (no CDN), started by a script file
of ours (the CSP of /docs allows same-origin scripts only, no inline script)."""
