import type { IncomingHttpHeaders } from 'node:http'
import { LIMITS } from '../common/limits.js'
import { NullObject } from '../common/values.js'

// Which headers a virtual request carries. The handshake's headers describe the connection (who connects,
// through which proxies, with which credentials) and are the base of every request, less those that
// describe the transport or one HTTP request of the browser. A client's per-request headers add to that
// base; they never replace a header the handshake has (a proxy in front set it, or the browser did),
// except the replaceable ones (`replaceableHeaders`), and never give the denied ones. Pure functions.

// Headers that frame or carry the HTTP message: the plugin sets them for the body it serialises.
const FRAMING_HEADERS = [
  'content-length', 'content-type', 'transfer-encoding', 'content-encoding', 'accept-encoding',
  'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection', 'http2-settings'
]

/**
 * Client headers that are never taken from a request's own `headers`. `host`, `origin`, `referer` and
 * `x-forwarded-*`/`forwarded`/`x-real-ip` would let a client lie about where it connects from;
 * framing headers (`content-length`, `transfer-encoding`, `content-type`, ...) are the plugin's to set
 * because it serialises the body; `accept-encoding` is always `identity` (a JWR carries the body itself,
 * never a compressed one). `cookie` may be given per request only when the handshake had none (as in Sails);
 * the socket's cookie jar adds what the app's answers set.
 *
 * The rule for every other header: a per-request header fills in what the handshake lacks, and never
 * replaces a header the handshake has (`cf-connecting-ip`, `remote-user`, an auth proxy's identity header,
 * the browser's `user-agent`), except the names of the `replaceableHeaders` option, by default
 * `authorization` (a token refreshed while the socket stays open), `accept` and `accept-language` (content
 * negotiation, which differs per request; a polling handshake carries the browser's `accept: *\/*`).
 * Leave `authorization` out of that option when a proxy in front authenticates it.
 */
export const DENIED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host', 'origin', 'referer', 'forwarded', 'x-real-ip', ...FRAMING_HEADERS
])

/** The default of the `replaceableHeaders` option. */
export const REPLACEABLE_HEADERS: readonly string[] = Object.freeze(['authorization', 'accept', 'accept-language'])

/**
 * Handshake headers that describe one HTTP request of the browser (the handshake's own), not the
 * connection: never copied onto virtual requests. Otherwise every request of a socket would share the
 * handshake's request id behind a proxy that stamps ids, and a browser's `pragma: no-cache` (sent on every
 * websocket handshake) would make every conditional request fail. A client may still give them per request.
 * Besides these names: every `sec-fetch-*` and `sec-websocket-*` header.
 */
export const PER_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  // request and trace ids, as proxies, load balancers and tracing libraries stamp them
  'x-request-id', 'x-correlation-id', 'request-id', 'correlation-id', 'x-trace-id', 'traceparent', 'tracestate',
  'baggage', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'uber-trace-id',
  'x-amzn-trace-id', 'x-cloud-trace-context', 'sentry-trace', 'cf-ray', 'x-request-start',
  // caching and conditional or partial requests
  'cache-control', 'pragma', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range',
  // fetch metadata of the handshake request itself
  'sec-purpose', 'purpose', 'upgrade-insecure-requests', 'priority'
])

const PER_REQUEST_PREFIXES = ['sec-fetch-', 'sec-websocket-']

function isPerRequest (name: string): boolean {
  return PER_REQUEST_HEADERS.has(name) || PER_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))
}

function isDenied (name: string): boolean {
  return DENIED_REQUEST_HEADERS.has(name) || name.startsWith('x-forwarded-') || name.startsWith(':')
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// CR, LF and NUL: what would split or end a header line over HTTP
const HEADER_VALUE_BAD = /[\r\n\0]/

/** Whether `name` is a header name (an HTTP token). */
export function isHeaderName (name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name)
}

/** Why a header name cannot be in `replaceableHeaders`, if it cannot. */
export function replaceableProblem (name: string): string | undefined {
  if (isDenied(name)) return 'is never taken from a request (see DENIED_REQUEST_HEADERS)'
  if (name === 'cookie') return 'has its own rule (a per-request cookie applies when the handshake has none)'
  return undefined
}

/**
 * Headers every virtual request of one socket starts from: the handshake's, less transport and
 * per-request headers, with `accept-encoding: identity`. Computed once per connection.
 */
export function baseHeaders (handshake: IncomingHttpHeaders): Record<string, string> {
  // Every request copies it: a NullObject (no inherited names, fast mode), since V8 copies an
  // Object.create(null) object, kept in dictionary mode, about 15x slower (~800 ns a request).
  const out = new NullObject<Record<string, string>>()
  for (const name of Object.keys(handshake)) {
    if (FRAMING_HEADERS.includes(name) || isPerRequest(name)) continue
    const value = handshake[name]
    if (typeof value === 'string') out[name] = value
    else if (Array.isArray(value)) out[name] = value.join(name === 'cookie' ? '; ' : ', ')
  }
  out['accept-encoding'] = 'identity'
  return out
}

/**
 * Adds the headers a client gave with one request to `headers` (a copy of `base`, the connection's),
 * skipping those it may not give or replace. Returns a reason when the given headers are malformed.
 */
export function mergeRequestHeaders (headers: Record<string, string>, base: Record<string, string>, given: Record<string, unknown>,
  handshakeHasCookie: boolean, replaceable: ReadonlySet<string>): string | undefined {
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
    if (name === 'cookie') {
      if (!handshakeHasCookie) headers.cookie = value
      continue
    }
    if (base[name] !== undefined && !replaceable.has(name)) continue
    headers[name] = value
  }
  return undefined
}
