import type { IncomingHttpHeaders } from 'node:http'
import { LIMITS } from '../common/limits.js'

// Which headers a virtual request carries: the handshake's (the connection's), less what describes the
// transport, plus what the client gives per request, less what it may not override. Pure functions.

// Headers that frame or carry the HTTP message: the plugin sets them for the body it serialises.
const FRAMING_HEADERS = [
  'content-length', 'content-type', 'transfer-encoding', 'content-encoding', 'accept-encoding',
  'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection', 'http2-settings'
]

/**
 * Client headers that never override the handshake's or the plugin's own. `host`, `origin` and
 * `x-forwarded-*`/`forwarded`/`x-real-ip` would let a client lie about where it connects from;
 * framing headers (`content-length`, `transfer-encoding`, `content-type`, ...) are the plugin's to set
 * because it serialises the body; `accept-encoding` would make a compression plugin hand us bytes
 * we cannot put in a JWR. `cookie` may be given per request only when the handshake had none (as in Sails).
 */
export const DENIED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host', 'origin', 'referer', 'forwarded', 'x-real-ip', ...FRAMING_HEADERS
])

/** Handshake headers that describe the transport, not the client; they never reach a virtual request. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  ...FRAMING_HEADERS, 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'
])

function isDenied (name: string): boolean {
  return DENIED_REQUEST_HEADERS.has(name) || name.startsWith('x-forwarded-') || name.startsWith(':')
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// CR, LF and NUL: what would split or end a header line over HTTP
const HEADER_VALUE_BAD = /[\r\n\0]/

/**
 * Headers every virtual request of one socket starts from: the handshake's, less transport headers.
 * Computed once per connection.
 */
export function baseHeaders (handshake: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const name of Object.keys(handshake)) {
    if (TRANSPORT_HEADERS.has(name)) continue
    const value = handshake[name]
    if (typeof value === 'string') out[name] = value
    else if (Array.isArray(value)) out[name] = value.join(name === 'cookie' ? '; ' : ', ')
  }
  return out
}

/**
 * Adds the headers a client gave with one request to `headers` (the connection's, copied for this
 * request), skipping those it may not override. Returns a reason when the given headers are malformed.
 */
export function mergeRequestHeaders (headers: Record<string, string>, given: Record<string, unknown>, handshakeHasCookie: boolean): string | undefined {
  const names = Object.keys(given)
  if (names.length > LIMITS.headerCount) return `more than ${LIMITS.headerCount} headers`
  for (const rawName of names) {
    if (!TOKEN.test(rawName)) return `header name '${rawName.slice(0, 64)}' is not a token`
    let value = given[rawName]
    if (value === undefined || value === null) continue
    if (typeof value === 'number' || typeof value === 'boolean') value = String(value)
    if (typeof value !== 'string') return `header '${rawName}' must be a string`
    if (value.length > LIMITS.headerValueLength) return `header '${rawName}' is longer than ${LIMITS.headerValueLength}`
    if (HEADER_VALUE_BAD.test(value)) return `header '${rawName}' holds CR, LF or NUL`
    const name = rawName.toLowerCase()
    if (isDenied(name)) continue
    if (name === 'cookie' && handshakeHasCookie) continue
    headers[name] = value
  }
  return undefined
}
