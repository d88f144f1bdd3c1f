// One config for the renderer's build and its unit tests. No React plugin: esbuild's automatic JSX
// runtime is all we need, and it keeps the bundle free of inline/eval code (strict CSP).
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const here = __dirname;

export default defineConfig({
  root: here,
  // Relative asset URLs: Electron loads the page from file://, the bridge serves it over http.
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: resolve(here, '../dist/renderer'),
    emptyOutDir: true,
    // The polyfill would be injected as an inline script; Chromium/Electron support modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'chrome120',
  },
  test: {
    root: here,
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
