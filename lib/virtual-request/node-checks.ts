import { IncomingMessage, OutgoingMessage, ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http'

// The argument checks of http.ServerResponse, so a virtual response refuses what a real one refuses, with
// the same error (class, code, message): Fastify then runs onError and the error handler and answers 500,
// as over HTTP. Header names and values use node:http's own validators. For the checks Node does not
// export, the error is made by a throwaway real ServerResponse given the same bad argument, so its text
// can never drift from Node's; that happens on error paths only.

const PROBE_REQUEST = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as unknown as IncomingMessage

function probe (): ServerResponse {
  return new ServerResponse(PROBE_REQUEST)
}

function thrownBy (fn: () => unknown, fallback: () => Error): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  return fallback()
}

/** `ERR_HTTP_HEADERS_SENT`, as `setHeader` ('set'), `appendHeader` ('append'), `removeHeader` ('remove') and `writeHead` ('write') throw it. */
export function headersSentError (verb: 'set' | 'append' | 'remove' | 'write'): Error {
  return Object.assign(new Error(`Cannot ${verb} headers after they are sent to the client`), { code: 'ERR_HTTP_HEADERS_SENT' })
}

/** A status code as `writeHead` takes it: coerced to an integer (`404.5` is 404), 100..999 or ERR_HTTP_INVALID_STATUS_CODE. */
export function checkStatusCode (code: unknown): number {
  const n = (code as number) | 0
  if (n < 100 || n > 999) {
    throw thrownBy(() => probe().writeHead(code as number),
      () => Object.assign(new RangeError(`Invalid status code: ${String(code)}`), { code: 'ERR_HTTP_INVALID_STATUS_CODE' }))
  }
  return n
}

// The characters Node refuses in a header value or status message (checkInvalidHeaderChar).
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/

// Header names and short texts that passed Node's checks. Every answer writes the same few (Fastify's
// content-type, 'OK'): a lookup instead of a regular expression each. Bounded, as an app writes a handful.
const CACHED = 512
const goodNames = new Set<string>()
const goodTexts = new Set<string>()
function remember (set: Set<string>, text: string): void {
  if (set.size < CACHED && text.length <= 128) set.add(text)
}

/** A header name, checked by Node's own validator (ERR_INVALID_HTTP_TOKEN). */
export function checkHeaderName (name: string): void {
  if (goodNames.has(name)) return
  validateHeaderName(name)
  remember(goodNames, name)
}

/** A header value, checked by Node's own validator (ERR_HTTP_INVALID_HEADER_VALUE, ERR_INVALID_CHAR); a text's validity does not depend on the name. */
export function checkHeaderValue (name: string, value: unknown): void {
  if (typeof value === 'string' && goodTexts.has(value)) return
  validateHeaderValue(name, value as string)
  if (typeof value === 'string') remember(goodTexts, value)
}

/** A status message with a character a status line cannot hold: ERR_INVALID_CHAR, as from `writeHead`. */
export function checkStatusMessage (message: string): void {
  if (goodTexts.has(message)) return
  if (INVALID_HEADER_CHAR.test(message)) {
    throw thrownBy(() => probe().writeHead(200, message),
      () => Object.assign(new TypeError('Invalid character in statusMessage'), { code: 'ERR_INVALID_CHAR' }))
  }
  remember(goodTexts, message)
}

/** A body chunk `write` and `end` accept: a string or a Uint8Array (ERR_STREAM_NULL_VALUES, ERR_INVALID_ARG_TYPE otherwise). */
export function checkChunk (chunk: unknown): void {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) return
  throw thrownBy(() => new OutgoingMessage().write(chunk as string),
    () => Object.assign(new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array'), { code: 'ERR_INVALID_ARG_TYPE' }))
}

/** The name argument of `getHeader`, `hasHeader` and `removeHeader`: a string (ERR_INVALID_ARG_TYPE otherwise). */
export function checkNameArgument (name: unknown): void {
  if (typeof name === 'string') return
  throw thrownBy(() => new OutgoingMessage().getHeader(name as string),
    () => Object.assign(new TypeError('The "name" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' }))
}

/** The argument of `setHeaders`: a Headers or a Map (ERR_INVALID_ARG_TYPE otherwise). */
export function checkHeadersArgument (headers: unknown): void {
  const h = headers as { keys?: unknown, get?: unknown } | null | undefined
  if (h !== null && h !== undefined && !Array.isArray(h) && typeof h.keys === 'function' && typeof h.get === 'function') return
  throw thrownBy(() => probe().setHeaders(headers as Map<string, string>),
    () => Object.assign(new TypeError('The "headers" argument must be an instance of Headers or Map'), { code: 'ERR_INVALID_ARG_TYPE' }))
}

/** A `writeHead` header list of odd length: ERR_INVALID_ARG_VALUE, as Node throws it. */
export function headerListError (headers: unknown[]): Error {
  return thrownBy(() => probe().writeHead(200, headers as string[]),
    () => Object.assign(new TypeError("The argument 'headers' is invalid."), { code: 'ERR_INVALID_ARG_VALUE' }))
}

/** Trailers as `addTrailers` checks them (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR). */
export function checkTrailers (trailers: unknown): void {
  // a real response's addTrailers only validates and renders text it keeps to itself
  probe().addTrailers(trailers as Record<string, string>)
}
