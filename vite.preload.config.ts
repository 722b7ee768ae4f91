// Bundles the preload (src/preload + the shared contract it imports) into one CommonJS file,
// dist/preload/index.cjs: a sandboxed Electron preload cannot load modules of its own.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: 'src/preload/index.ts', formats: ['cjs'], fileName: () => 'index.cjs' },
    outDir: 'dist/preload',
    emptyOutDir: false,
    minify: false,
    target: 'es2022',
    rollupOptions: { external: ['electron'] },
  },
});
