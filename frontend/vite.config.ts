import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * @loaders.gl/mvt imports `zod` (v4) for a style schema the map never uses. Some installs
 * of zod 4 ship only the `v4/` entry (no top-level index.js), which the bundler cannot
 * resolve; point the bare import at `zod/v4` of the same package in that case.
 */
function zodV4ForLoaders(): Plugin {
  return {
    name: 'firelink-zod-v4-for-loaders',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source !== 'zod' || !importer?.includes('@loaders.gl')) return null;
      let dir = dirname(importer);
      while (dir !== dirname(dir)) {
        const pkg = join(dir, 'node_modules', 'zod');
        if (existsSync(join(pkg, 'package.json'))) {
          if (existsSync(join(pkg, 'index.js'))) return null;
          const v4 = join(pkg, 'v4', 'index.js');
          return existsSync(v4) ? v4 : null;
        }
        dir = dirname(dir);
      }
      return null;
    },
  };
}

export default defineConfig({
  plugins: [zodV4ForLoaders(), react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/tiles': 'http://localhost:8080',
      '/map': 'http://localhost:8080',
      '/ws': { target: 'ws://localhost:8080', ws: true },
    },
  },
});
