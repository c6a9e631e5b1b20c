import { LIMITS } from '../common/limits.js'
import { isPlainObject } from '../common/values.js'
import { mergeRequestHeaders } from './headers.js'
import { arrayFrameSize, objectFrameSize, scalarSize, stringSize } from './json-size.js'

// Turns an untrusted sails.io.js request envelope `{ method, url, headers, data }` into the parts
// of a Fastify request, or a reason to refuse it. Pure functions: no Fastify, no socket.io.

/** The seven verbs sails.io.js emits as event names. */
export const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const
export type Verb = typeof VERBS[number]
const METHODS = Object.fromEntries(VERBS.map((verb) => [verb, verb.toUpperCase()])) as { [V in Verb]: Uppercase<V> }

// A backslash, '#', a C0 control or DEL: never in a url (one pass over the text, no regular expression: every
// request's url goes through it)
function badUrlChar (url: string): boolean {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0x23) return true
  }
  return false
}

// The JSON text size of what the walk has visited so far, when it is `measuring`; NaN once it met something
// JSON.stringify would not write as it is. (One walk at a time: it is synchronous.)
let bytes = 0
let measuring = false

/**
 * Finds a key that could poison a prototype (`__proto__` anywhere; `constructor` holding an object,
 * the `constructor.prototype` form Fastify's JSON parser refuses too), or nesting past the limit.
 * On its way it turns every -0 into 0: JSON has no -0 once serialised, so a body handed to a route
 * unparsed holds what parsing its JSON gives.
 */
export function findUnsafeKey (root: unknown): string | undefined {
  return walk(root, 0, false)
}

/** What checking a parsed value found: a reason to refuse it, and the UTF-8 byte length of its JSON text. */
export interface JsonCheck {
  problem: string | undefined
  /** `Buffer.byteLength(JSON.stringify(value))`, counted on the walk; undefined when the value is not plain JSON data. */
  bytes: number | undefined
}

/** findUnsafeKey of a value found `depth` levels down, and the size of its JSON text counted on the same walk (json-size.ts). */
export function checkJson (root: unknown, depth: number): JsonCheck {
  const problem = walk(root, depth, true)
  return { problem, bytes: problem === undefined && !Number.isNaN(bytes) ? bytes : undefined }
}

// findUnsafeKey's walk from `depth` down; `measure`: leaving the size of the JSON text in `bytes`
function walk (root: unknown, depth: number, measure: boolean): string | undefined {
  measuring = measure
  bytes = 0
  if (root !== null && typeof root === 'object') return unsafeIn(root, depth)
  if (measure) bytes = scalarSize(root)
  return undefined
}

// The rule for one member of an object, wherever it is.
function unsafeMember (key: string, value: unknown): string | undefined {
  if (key === '__proto__') return "a '__proto__' key"
  if (key === 'constructor' && value !== null && typeof value === 'object') return "a 'constructor' object key"
  return undefined
}

// Recursive, and so allocating nothing but each object's key list: the depth limit bounds the recursion at
// LIMITS.depth frames, however deep the payload socket.io parsed.
function unsafeIn (node: object, depth: number): string | undefined {
  if (depth > LIMITS.depth) return `nesting deeper than ${LIMITS.depth}`
  // socket.io rebuilds binary attachments as Buffers: JSON requests carry none, and walking one
  // byte by byte (then stringifying it) would cost ~50x a string of the same size
  if (ArrayBuffer.isView(node) || node instanceof ArrayBuffer) return 'binary data (send JSON)'
  if (Array.isArray(node)) {
    if (measuring) bytes += arrayFrameSize(node)
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i]
      if (item !== null && typeof item === 'object') {
        const found = unsafeIn(item, depth + 1)
        if (found !== undefined) return found
      } else {
        if (item === 0 && Object.is(item, -0)) node[i] = 0
        if (measuring) bytes += scalarSize(item)
      }
    }
    return undefined
  }
  const keys = Object.keys(node)
  if (measuring) bytes += objectFrameSize(node, keys.length)
  for (const key of keys) {
    const value = (node as Record<string, unknown>)[key]
    const unsafe = unsafeMember(key, value)
    if (unsafe !== undefined) return unsafe
    if (measuring) bytes += stringSize(key)
    if (value !== null && typeof value === 'object') {
      const found = unsafeIn(value, depth + 1)
      if (found !== undefined) return found
    } else {
      if (value === 0 && Object.is(value, -0)) (node as Record<string, unknown>)[key] = 0
      if (measuring) bytes += scalarSize(value)
    }
  }
  return undefined
}

/** What a valid envelope becomes. */
export interface RequestParts {
  method: Uppercase<Verb>
  url: string
  headers: Record<string, string>
  /** JSON text of the body, for verbs that carry one and only when `data` was given; undefined while `bytes` stands for it. */
  payload: string | undefined
  /** The value the body is the JSON text of (`data` as socket.io parsed it, checked above): see json-handoff.ts. */
  parsed: unknown
  /** With `parsed` and no `payload`: the UTF-8 byte length of `JSON.stringify(parsed)`, the text not made yet. */
  bytes: number | undefined
}

export type ParseResult = { ok: true, parts: RequestParts } | { ok: false, reason: string }

function fail (reason: string): ParseResult {
  return { ok: false, reason }
}

function checkUrl (url: unknown): string | undefined {
  if (typeof url !== 'string') return url === undefined ? 'no url' : 'url must be a string'
  if (url.length === 0 || url.length > LIMITS.urlLength) return `url length must be 1..${LIMITS.urlLength}`
  if (url[0] !== '/' || url[1] === '/' || url[1] === '\\') return 'url must be a path starting with a single /'
  if (badUrlChar(url)) return 'url holds a backslash, # or a control character'
  return undefined
}

// The JSON text of data a socket.io parser other than the default may have made: JSON.stringify throws on a
// BigInt (or a toJSON that throws), which is the client's bad input, not the server's failure.
function jsonText (value: unknown): string | { reason: string } {
  try {
    return JSON.stringify(value)
  } catch (err) {
    return { reason: `data JSON cannot carry: ${err instanceof Error ? err.message : String(err)}` }
  }
}

// Appends `data` of a GET/HEAD as query parameters: sails.io.js front ends send io.socket.get('/user', { name }).
// Own keys only, through URLSearchParams; objects are sent as JSON text (Sails blueprints read `where` that way).
function appendQuery (url: string, data: Record<string, unknown>): string | { reason: string } {
  const params = new URLSearchParams()
  for (const key of Object.keys(data)) {
    const value = data[key]
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value as unknown[] : [value]) {
      const text = item !== null && typeof item === 'object' ? jsonText(item) : String(item)
      if (typeof text !== 'string') return text
      params.append(key, text)
    }
  }
  const query = params.toString()
  if (query.length === 0) return url
  const merged = url + (url.includes('?') ? '&' : '?') + query
  if (merged.length > LIMITS.queryUrlLength) return { reason: 'query built from data is too long' }
  return merged
}

/**
 * Validates an envelope received on the `verb` event and builds the request parts.
 * `base` are the socket's handshake headers; `handshakeHasCookie` decides whether a per-request cookie may apply;
 * `replaceable` names the handshake headers a request's own may replace.
 */
export function parseEnvelope (verb: Verb, envelope: unknown, base: Record<string, string>, handshakeHasCookie: boolean,
  replaceable: ReadonlySet<string>): ParseResult {
  if (!isPlainObject(envelope)) return fail('the request must be an object { method, url, headers, data }')
  // the envelope's members by the rules of every object; its data walked on its own, to be measured too
  let body: JsonCheck | undefined
  for (const key of Object.keys(envelope)) {
    const value = envelope[key]
    const unsafe = unsafeMember(key, value) ?? (key === 'data' ? (body = checkJson(value, 1)).problem : walk(value, 1, false))
    if (unsafe !== undefined) return fail(`the request holds ${unsafe}`)
  }

  const method = envelope.method
  if (method !== undefined && method !== verb && (typeof method !== 'string' || method.toLowerCase() !== verb)) {
    return fail(`method '${String(method)}' does not match the '${verb}' event`)
  }
  const urlProblem = checkUrl(envelope.url)
  if (urlProblem !== undefined) return fail(urlProblem)
  let url = envelope.url as string

  // A plain object, as IncomingMessage#headers is, and the request's own (the dispatch keeps it):
  // safe because names are tokens and '__proto__' keys were refused above.
  const headers: Record<string, string> = Object.assign({}, base)
  const given = envelope.headers
  if (given !== undefined && given !== null) {
    if (!isPlainObject(given)) return fail('headers must be an object of strings')
    const problem = mergeRequestHeaders(headers, base, given, handshakeHasCookie, replaceable)
    if (problem !== undefined) return fail(problem)
  }

  const data = envelope.data
  if (verb === 'get' || verb === 'head') {
    if (data !== undefined && data !== null) {
      if (!isPlainObject(data)) return fail(`data of a ${verb} must be an object of query parameters`)
      const merged = appendQuery(url, data)
      if (typeof merged !== 'string') return fail(merged.reason)
      url = merged
    }
  } else if (data !== undefined) {
    // the text is made when the body is read, if ever (json-size.ts); what the walk could not measure now
    const size = body?.bytes
    headers['content-type'] = 'application/json'
    // data JSON.parse could not have made (another socket.io parser's) goes as text, and is parsed as HTTP's would be
    if (size === undefined) {
      const text = jsonText(data)
      if (typeof text !== 'string') return fail(text.reason)
      return { ok: true, parts: { method: METHODS[verb], url, headers, payload: text, parsed: undefined, bytes: undefined } }
    }
    return { ok: true, parts: { method: METHODS[verb], url, headers, payload: undefined, parsed: data, bytes: size } }
  }

  return { ok: true, parts: { method: METHODS[verb], url, headers, payload: undefined, parsed: undefined, bytes: undefined } }
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]*)?$/

/**
 * Checks the `__sails_io_sdk_version` a sails.io.js client sends at the handshake.
 * Absent: fine (plain socket.io clients). Present: must be semver >= 0.11.0 (Sails' own gate,
 * without its crash on a non-semver value).
 */
export function checkSdkVersion (version: unknown): string | undefined {
  if (version === undefined) return undefined
  if (typeof version !== 'string') return 'not a string'
  const m = SEMVER.exec(version)
  if (m === null) return `'${version.slice(0, 32)}'`
  const major = Number(m[1]); const minor = Number(m[2])
  if (major === 0 && minor < 11) return `'${version}'`
  return undefined
}
