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
            { name: 'jsqr', test: /node_modules[\\/]jsqr[\\/]/, priority: 3 },
            // the pairing library is for pages that hold keys (the wallet), not for the trace page
            { name: 'mcl', test: /node_modules[\\/]mcl-wasm[\\/]/, priority: 2 },
            // what core/ and wallet/ bring (crypto, codecs, IPFS readers): only pages that use keys
            // load it (mcl-wasm alone is ~0.6 MB); everything but the shell's UI libraries
            {
              name: 'crypto',
              test: /node_modules[\\/](?!(react|react-dom|scheduler|antd|@ant-design|@rc-component|@babel|@emotion|clsx|compute-scroll-into-view|dayjs|is-mobile|json2mq|react-is|scroll-into-view-if-needed|string-convert|stylis|throttle-debounce)[\\/])/,
              priority: 1,
            },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
    // Ant Design alone is most of the first load (ops/bench/web.ts prints it); it is one cached chunk
    chunkSizeWarningLimit: 1000,
  },
});
