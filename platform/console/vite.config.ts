import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Served by the service at /console (tradeledger.api.app.mount_console); the API is on the same origin.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
