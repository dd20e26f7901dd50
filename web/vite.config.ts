import react from "@vitejs/plugin-react";
import { VitePWA } from "vite-plugin-pwa";
import { defineConfig } from "vitest/config";

// The build goes into the Python package, which serves it (src/shre/web/router.py).
export default defineConfig({
  plugins: [
    react(),
    // An installable app (manifest, icons) with its own service worker, src/sw.ts:
    // Workbox precaching of the shell and the hashed assets, and no API response cached.
    VitePWA({
      registerType: "prompt",
      injectRegister: false,
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectManifest: { globPatterns: ["**/*.{js,css,html,svg,png,ico,woff2}"] },
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
