import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Builds the browser bundle when a test runs without `npm run build` first (npm test builds it). */
export function ensureBundle (): void {
  if (existsSync(new URL('../../dist/browser/fastify-sockets.js', import.meta.url))) return
  execFileSync(process.execPath, ['scripts/build-client.mjs'], { cwd: root, stdio: 'inherit' })
}
