import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

// Built by ops/bootstrap into web/dist, which ./ops/up serves at / (connectors/http/web-app.ts).
export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // the libraries change less often than the pages: their own chunks stay cached across releases
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            // the QR decoder is imported only when a camera scan starts: its own chunk, off the first load
            { name: 'jsqr', test: /node_modules[\\/]jsqr[\\/]/, priority: 1 },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
    // Ant Design alone is most of the first load (ops/bench/web.ts prints it); it is one cached chunk
    chunkSizeWarningLimit: 1000,
  },
});
