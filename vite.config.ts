// Builds the renderer (src/renderer) into dist/renderer, loadable from file:// (Electron) and
// from `dlnet serve` alike (relative asset paths). No inline scripts or styles: the CSP forbids them.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
    target: 'es2022',
  },
});
