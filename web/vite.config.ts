import react from "@vitejs/plugin-react";
import { VitePWA } from "vite-plugin-pwa";
import { defineConfig } from "vitest/config";

// The build goes into the Python package, which serves it (src/shre/web/router.py).
export default defineConfig({
  plugins: [
    react(),
    // An installable app (manifest, icons) whose service worker precaches the shell and
    // the hashed assets. It caches no API response: the offline directory is the app's
    // own (IndexedDB). Pages come from the network (index.html carries a fresh style
    // nonce each time), and from the precached shell only when the network fails.
    VitePWA({
      registerType: "prompt",
      injectRegister: false,
      // The icons were made from public/pwa-icon.svg with @vite-pwa/assets-generator
      // (`npx pwa-assets-generator --preset minimal-2023 public/pwa-icon.svg`).
      includeAssets: ["favicon.svg", "favicon.ico", "apple-touch-icon-180x180.png"],
      manifest: {
        id: "/",
        name: "shre — people and documents",
        short_name: "shre",
        description: "Your colleagues, your team and your documents, on the go.",
        lang: "en",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "any",
        theme_color: "#1c7ed6",
        background_color: "#ffffff",
        icons: [
          { src: "pwa-64x64.png", sizes: "64x64", type: "image/png" },
          { src: "pwa-192x192.png", sizes: "192x192", type: "image/png" },
          { src: "pwa-512x512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          {
            src: "maskable-icon-512x512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,png,ico,woff2}"],
        navigateFallback: null,
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            // Written into sw.js as it stands (no outside names): every page of the app,
            // never the API's or the server's own (docs, health, metrics).
            urlPattern: ({ request, url }) =>
              request.mode === "navigate" &&
              !/^\/(api|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/.test(url.pathname),
            handler: "NetworkOnly",
            options: { precacheFallback: { fallbackURL: "index.html" } },
          },
        ],
      },
    }),
  ],
  build: {
    outDir: "../src/shre/web/dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` next to `make run`: the API stays on its own origin's port.
    proxy: { "/api": "http://127.0.0.1:8000", "/readyz": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "happy-dom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
