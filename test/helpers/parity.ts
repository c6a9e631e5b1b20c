import type { FastifyInstance } from 'fastify'
import type { Response as InjectResponse } from 'light-my-request'
import type { Socket as ClientSocket } from 'socket.io-client'
import type { FastifySocketsOptions, JWR } from '../../lib/index.js'
import { request } from './app.js'

// HTTP-vs-socket comparisons: the two ways virtual requests run, and what a JWR must hold for an HTTP answer.

/** Both dispatch modes, for tests that compare HTTP and sockets: `t.test` once per mode. */
export const MODES: ReadonlyArray<NonNullable<FastifySocketsOptions['dispatch']>> = ['lean', 'inject']

/**
 * The JWR body an HTTP answer must give over a socket, written from the HTTP side's own view: no bytes, no
 * body; a JSON type, its JSON; `text/*` (or any type with a charset), its text; anything else, its bytes.
 */
export function expectedBody (headers: Record<string, unknown>, raw: Buffer, text: () => string = () => raw.toString('utf8')): unknown {
  if (raw.length === 0) return undefined
  const type = String(headers['content-type'] ?? '').toLowerCase()
  const media = type.split(';', 1)[0]?.trim() ?? ''
  if (media === 'application/json' || media.endsWith('+json')) {
    try { return JSON.parse(text()) } catch { return text() }
  }
  if (media.startsWith('text/') || type.includes('charset=') || media.endsWith('+xml') || media === 'application/javascript') return text()
  return raw
}

/** `expectedBody` of an `app.inject` answer. */
export function expectedOf (res: InjectResponse): unknown {
  return expectedBody(res.headers, res.rawPayload)
}

/** The headers of a JWR and of an HTTP answer that must agree (connection-level ones aside). */
export function comparableHeaders (headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (['date', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie'].includes(name)) continue
    out[name] = value
  }
  return out
}

export interface Exchange { statusCode: number, body: unknown, headers: Record<string, unknown> }

/**
 * One request made over HTTP (app.inject, with what the socket's requests carry: the handshake's headers and
 * accept-encoding identity) and over the socket; both answers, comparable.
 */
export async function both (app: FastifyInstance, socket: ClientSocket, method: string, url: string,
  opts: { data?: unknown, headers?: Record<string, string>, handshake?: Record<string, string> } = {}): Promise<{ http: Exchange, socket: Exchange }> {
  const res = await app.inject({
    method: method.toUpperCase() as 'GET',
    url,
    headers: { ...opts.handshake, ...opts.headers, 'accept-encoding': 'identity' },
    ...(opts.data === undefined ? {} : { payload: opts.data as object })
  })
  const jwr: JWR = await request(socket, method, url, opts.data, opts.headers)
  const httpHeaders = comparableHeaders(res.headers)
  const socketHeaders = comparableHeaders(jwr.headers)
  if (httpHeaders['content-length'] === undefined) delete socketHeaders['content-length']
  return {
    http: { statusCode: res.statusCode, body: expectedOf(res), headers: httpHeaders },
    socket: { statusCode: jwr.statusCode, body: jwr.body, headers: socketHeaders }
  }
}

export type { JWR }
