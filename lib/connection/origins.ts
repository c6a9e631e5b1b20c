import type { IncomingMessage } from 'node:http'
import { queryOf } from './engine.js'

// The origin rule: which browser pages may use a socket. One home for parsing the allowed origins and
// for deciding about one request.

/** Parses an exact origin; returns the normalised form or a reason it is not one. */
export function parseOrigin (origin: unknown): { origin: string } | { reason: string } {
  if (typeof origin !== 'string' || origin.length === 0) return { reason: 'not a non-empty string' }
  let url: URL
  try { url = new URL(origin) } catch { return { reason: 'not a URL' } }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: 'scheme must be http or https' }
  if (url.origin !== origin) {
    return { reason: `not an exact origin (did you mean '${url.origin}'? no path, no trailing slash, no default port)` }
  }
  return { origin }
}

// A browser leaves Origin out of a same-origin GET (so same-origin polling handshakes have none) but
// also out of a cross-site *no-cors* GET, such as a <script src>. Engine.IO still speaks JSONP polling
// (`j=` in the query), whose answer such a script can read: a page on any site could then open a
// session with the user's cookies and learn its id. So an origin-less request is refused when it is
// JSONP, or when the browser says (Sec-Fetch-Site) that it comes from another site.
function noOriginRefusal (req: IncomingMessage, allowNoOrigin: boolean): string | undefined {
  if (!allowNoOrigin) return 'no origin'
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return 'no origin on a cross-site request'
  if (queryOf(req)?.j !== undefined) return 'no origin on a JSONP handshake'
  return undefined
}

/** Decides about the origin of one request: `undefined` when it may pass, else the reason it may not. */
export type OriginCheck = (req: IncomingMessage) => string | undefined

/** The origin check for a list of exact origins. */
export function originCheck (allowedOrigins: readonly string[], allowNoOrigin: boolean): OriginCheck {
  const allowed = new Set(allowedOrigins)
  return (req) => {
    const origin = req.headers.origin
    if (origin === undefined) return noOriginRefusal(req, allowNoOrigin)
    return allowed.has(origin) ? undefined : 'origin not allowed'
  }
}
