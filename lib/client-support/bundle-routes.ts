import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FST_SOCKETS_CLIENT_BUNDLE_MISSING } from '../errors.js'

// Serves the browser bundle (built by scripts/build-client.mjs into dist/browser/) and the JSONP cookie
// route sails.io.js loads before connecting cross-origin. Handlers only; the plugin registers the routes.

/** Default route of the browser bundle. */
export const DEFAULT_CLIENT_PATH = '/fastify-sockets.js'
/** The route sails.io.js loads (as a script) before a cross-origin connection. */
export const GET_COOKIE_PATH = '/__getcookie'

interface Bundle { source: Buffer, etag: string }

// From dist/client-support/ the bundle is in dist/browser/; from lib/client-support/ (tsx, tests) it is in ../../dist/browser/.
const CANDIDATES = [
  new URL('../browser/fastify-sockets.js', import.meta.url),
  new URL('../../dist/browser/fastify-sockets.js', import.meta.url)
]

let loaded: Bundle | undefined

// Read once per process; a missing file is looked for again on the next request (a build may come later).
async function loadBundle (): Promise<Bundle | undefined> {
  if (loaded !== undefined) return loaded
  for (const file of CANDIDATES) {
    try {
      const source = await readFile(file)
      loaded = { source, etag: `"${createHash('sha256').update(source).digest('base64url').slice(0, 27)}"` }
      return loaded
    } catch { /* try the next place */ }
  }
  return undefined
}

/** GET <client.path>: the bundle, revalidated by ETag (a new version of the package is a new ETag). */
export async function serveBundle (request: FastifyRequest, reply: FastifyReply): Promise<Buffer | undefined> {
  const bundle = await loadBundle()
  if (bundle === undefined) throw new FST_SOCKETS_CLIENT_BUNDLE_MISSING()
  reply.header('content-type', 'application/javascript; charset=utf-8')
  reply.header('cache-control', 'no-cache')
  reply.header('etag', bundle.etag)
  if (request.headers['if-none-match'] === bundle.etag) {
    reply.code(304)
    return undefined
  }
  return bundle.source
}

/**
 * GET /__getcookie: the JSONP answer sails.io.js waits for before connecting cross-origin. The app's own
 * hooks run as for any route, so a session plugin that sets its cookie on every response sets it here.
 */
export async function serveGetCookie (_request: FastifyRequest, reply: FastifyReply): Promise<string> {
  reply.header('content-type', 'application/javascript; charset=utf-8')
  reply.header('cache-control', 'no-store')
  return '_sailsIoJSConnect();'
}
