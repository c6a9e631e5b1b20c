// Builds the browser bundle served by the plugin: lib/client/browser.ts + socket.io-client, one minified
// IIFE file exposing the sails.io.js globals. Run by `npm run build` (and `npm start`).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

await build({
  absWorkingDir: root,
  entryPoints: ['lib/client/browser.ts'],
  outfile: 'dist/browser/fastify-sockets.js',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2019'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning'
})
