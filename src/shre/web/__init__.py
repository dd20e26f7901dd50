"""The web app: the SPA built from `web/` into `shre/web/dist`, served by the app itself."""
