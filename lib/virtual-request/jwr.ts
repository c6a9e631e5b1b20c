import { STATUS_CODES } from 'node:http'
import type { DispatchOutput } from './dispatch.js'
import { decodeBody } from './body.js'
import { kJsonText, type SplicedJwr } from './ack-encoder.js'

/**
 * The JSON WebSocket Response a socket receives as the ack of a virtual request (sails.io.js shape).
 * `body` is the parsed JSON of a JSON answer, the decoded text of a text answer, the bytes (a Buffer on the
 * server and in Node clients, an ArrayBuffer in browsers) of any other answer, and `undefined` when the
 * answer has no body.
 */
export interface JWR<Body = unknown> {
  body: Body
  statusCode: number
  headers: Record<string, string | string[]>
}

/** What an error needs to become a JWR: a code, and the HTTP status it is answered with. */
export interface CodedError extends Error { code: string, statusCode?: number }

/** Error body in the shape Fastify's default error handler sends over HTTP. */
export function errorJwr (err: CodedError): JWR {
  const statusCode = err.statusCode ?? 500
  return {
    body: { statusCode, code: err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message },
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' }
  }
}

// set-cookie never reaches the socket (as in Sails; the socket's cookie jar keeps it); the others describe
// the HTTP connection, not the answer.
const HIDDEN_RESPONSE_HEADERS = new Set(['set-cookie', 'connection', 'keep-alive', 'transfer-encoding'])

/**
 * The JWR of a finished virtual response: its headers less the hidden ones, its body decoded by content type.
 * `content-length` is the byte length of the body as HTTP sends it (what Fastify declared for a serialised
 * answer, counted for streams, raw writes and bytes); an answer without a body keeps what the route declared
 * (a HEAD answer states the length of the GET's).
 */
export function jwrOfResponse (res: DispatchOutput): JWR {
  const given = res.headers
  let headers = asGiven(given) ? given as Record<string, string | string[]> : copied(given)
  const type = headers['content-type']
  const declared = headers['content-length']
  const known = typeof declared === 'string' ? Number(declared) : NaN
  const { body, bytes, json } = decodeBody(typeof type === 'string' ? type : undefined, res.body, Number.isSafeInteger(known) ? known : undefined)
  if (body !== undefined && bytes !== known) {
    // the response's own map stays as the route left it (onResponse hooks still read it)
    if (headers === given) headers = copied(given)
    headers['content-length'] = String(bytes)
  }
  const jwr: SplicedJwr = { body, statusCode: res.statusCode, headers }
  if (json !== undefined) jwr[kJsonText] = json
  return jwr
}

// Whether the answer's own header map can be the JWR's as it is (the common case: the response is done with it,
// and copying it cost a store per header on a map of names that vary): nothing hidden, every value text.
function asGiven (headers: DispatchOutput['headers']): boolean {
  for (const name in headers) {
    if (HIDDEN_RESPONSE_HEADERS.has(name)) return false
    const value = headers[name]
    if (typeof value !== 'string' && !Array.isArray(value)) return false
  }
  return true
}

function copied (given: DispatchOutput['headers']): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const name in given) {
    if (HIDDEN_RESPONSE_HEADERS.has(name)) continue
    const value = given[name]
    if (typeof value === 'string' || Array.isArray(value)) headers[name] = value as string | string[]
    else if (value !== undefined) headers[name] = String(value)
  }
  return headers
}
