// Coded errors of the client SDK. The client never loads server code (no @fastify/error, which needs
// node:util), so this is a small Error subclass with the same `code` / `statusCode` contract.

import type { JWR } from './jwr.js'

export type ClientErrorCode =
  | 'FST_SOCKETS_CLIENT_DISCONNECTED'
  | 'FST_SOCKETS_CLIENT_NOT_CONNECTED'
  | 'FST_SOCKETS_CLIENT_CONNECT_FAILED'
  | 'FST_SOCKETS_CLIENT_TIMEOUT'
  | 'FST_SOCKETS_CLIENT_INVALID_ARGUMENT'
  | 'FST_SOCKETS_CLIENT_OPTIONS_INVALID'

const MESSAGES: Record<ClientErrorCode, string> = {
  FST_SOCKETS_CLIENT_DISCONNECTED: 'The socket disconnected before the request completed',
  FST_SOCKETS_CLIENT_NOT_CONNECTED: 'The socket is disconnected and not trying to connect; call reconnect() first',
  FST_SOCKETS_CLIENT_CONNECT_FAILED: 'The socket could not connect',
  FST_SOCKETS_CLIENT_TIMEOUT: 'The socket request was not answered within %d ms',
  FST_SOCKETS_CLIENT_INVALID_ARGUMENT: 'Invalid socket request: %s',
  FST_SOCKETS_CLIENT_OPTIONS_INVALID: 'Invalid fastify-sockets client options: %s'
}

/**
 * An error of the client SDK. Requests that never got an answer (disconnect, failed connection,
 * client deadline) reject with `statusCode` 0 and carry `jwr` `{ body: null, statusCode: 0, headers: {} }`,
 * like sails.io.js. Usage errors are `TypeError`-like and thrown synchronously.
 *
 * @example
 * ```ts
 * try { await socket.get('/slow') } catch (err) {
 *   if (err instanceof SocketClientError && err.statusCode === 0) console.log('no answer:', err.code)
 * }
 * ```
 */
export class SocketClientError extends Error {
  readonly code: ClientErrorCode
  /** 0 when the server never answered; 500 for usage errors (never sent). */
  readonly statusCode: number
  /** The sails.io.js-shaped JWR of an unanswered request (`jwr.error` is this error). */
  declare readonly jwr: JWR<null> | undefined

  constructor (code: ClientErrorCode, detail?: string | number, cause?: unknown) {
    const template = MESSAGES[code]
    super(detail === undefined ? template : template.replace(/%[sd]/, String(detail)), cause === undefined ? undefined : { cause })
    this.name = 'SocketClientError'
    this.code = code
    const unanswered = code === 'FST_SOCKETS_CLIENT_DISCONNECTED' || code === 'FST_SOCKETS_CLIENT_NOT_CONNECTED' ||
      code === 'FST_SOCKETS_CLIENT_CONNECT_FAILED' || code === 'FST_SOCKETS_CLIENT_TIMEOUT'
    this.statusCode = unanswered ? 0 : 500
    // not enumerable: the JWR points back at this error, and both must serialise (Sails callbacks log the body)
    Object.defineProperty(this, 'jwr', { value: unanswered ? { body: null, statusCode: 0, headers: {}, error: this } : undefined })
  }

  /** What `JSON.stringify(err)` shows: name, code, statusCode and message (never the circular `jwr`). */
  toJSON (): { name: string, code: ClientErrorCode, statusCode: number, message: string } {
    return { name: this.name, code: this.code, statusCode: this.statusCode, message: this.message }
  }
}
