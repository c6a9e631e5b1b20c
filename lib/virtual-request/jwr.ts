import { STATUS_CODES } from 'node:http'
import type { DispatchOutput } from './dispatch.js'

/** The JSON WebSocket Response a socket receives as the ack of a virtual request (sails.io.js shape). */
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

// set-cookie never reaches the socket (as in Sails); the others describe the HTTP connection, not the answer.
const HIDDEN_RESPONSE_HEADERS = new Set(['set-cookie', 'connection', 'keep-alive', 'transfer-encoding'])

/** The JWR of a finished virtual response: its headers less the hidden ones, a JSON body parsed. */
export function jwrOfResponse (res: DispatchOutput): JWR {
  const headers: Record<string, string | string[]> = {}
  for (const name in res.headers) {
    if (HIDDEN_RESPONSE_HEADERS.has(name)) continue
    const value = res.headers[name]
    if (typeof value === 'string' || Array.isArray(value)) headers[name] = value as string | string[]
    else if (value !== undefined) headers[name] = String(value)
  }
  let body: unknown = res.payload
  const type = headers['content-type']
  if (typeof type === 'string' && type.includes('json') && res.payload.length > 0) {
    try { body = JSON.parse(res.payload) } catch { /* not JSON after all: keep the text */ }
  }
  return { body, statusCode: res.statusCode, headers }
}
