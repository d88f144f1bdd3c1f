// One config for the renderer's build and its unit tests. No React plugin: esbuild's automatic JSX
// runtime is all we need, and it keeps the bundle free of inline/eval code (strict CSP).
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { withCspMeta } from '../main/contract/csp';

const here = __dirname;

/**
 * Writes the desktop window's Content-Security-Policy (main/contract/csp.ts) into the built index.html: the
 * page comes from file:// there, with no header to carry it. The same source gives Electron's header, and the
 * bridge rewrites the <meta> to the served policy when it serves the page. Build only: the dev server's
 * module reloading needs its own WebSocket.
 */
function cspMeta(): Plugin {
  return {
    name: 'guestprep-csp-meta',
    apply: 'build',
    transformIndexHtml: { order: 'pre', handler: (html) => withCspMeta(html, 'electron') },
  };
}

export default defineConfig({
  root: here,
  // Relative asset URLs: Electron loads the page from file://, the bridge serves it over http.
  base: './',
  esbuild: { jsx: 'automatic' },
  plugins: [cspMeta()],
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
