import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build goes into the Python package, which serves it (src/shre/web/router.py).
export default defineConfig({
  plugins: [react()],
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
