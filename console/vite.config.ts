import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into the Python package, served by the API at /console (README: nothing needs Node to install).
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: { outDir: "../api/console_dist", emptyOutDir: true, assetsDir: "assets" },
  test: { include: ["src/**/*.test.ts"] },
});
