// fastify-sockets/client: the client SDK for browsers and Node. It imports only types from the server side.
import { ClientSocket, type ServerEvents } from './socket.js'
import { resolveClientOptions, type ClientOptions } from './options.js'
import { SocketClientError } from './errors.js'

export { ClientSocket, SocketClientError }
export type { ServerEvents, LifecycleEvents, RequestOptions, RequestCallback, VerbMethod } from './types.js'
export type { ClientOptions } from './options.js'
export type { JWR } from './jwr.js'
export type { ClientErrorCode } from './errors.js'

/** The page's origin in a browser; `undefined` in Node. */
function pageOrigin (): string | undefined {
  const location = (globalThis as { location?: { origin?: unknown } }).location
  return typeof location?.origin === 'string' && location.origin !== 'null' ? location.origin : undefined
}

/**
 * Opens a socket to a fastify-sockets server (or any server speaking the sails.io.js protocol).
 * Requests made before it connects are queued. `url` defaults to the page's origin in a browser.
 * The event map defaults to the server's `SocketEvents` declarations; a front end that cannot see
 * them can pass its own: `connect<{ hello: { howdy: string } }>(url)`.
 *
 * @throws FST_SOCKETS_CLIENT_OPTIONS_INVALID for a bad url or option (synchronously)
 * @example
 * ```ts
 * import { connect } from 'fastify-sockets/client'
 *
 * const socket = connect('http://127.0.0.1:3000', { headers: { authorization: 'Bearer abc' } })
 * socket.on('message', (m) => console.log(m))
 * const jwr = await socket.put('/rooms/lobby/members')
 * console.log(jwr.statusCode, jwr.body)
 * socket.disconnect()
 * ```
 */
export function connect<Events extends object = ServerEvents> (url?: string, options?: ClientOptions): ClientSocket<Events> {
  const resolved = resolveClientOptions(options)
  const target = url ?? pageOrigin()
  if (typeof target !== 'string') {
    throw new SocketClientError('FST_SOCKETS_CLIENT_OPTIONS_INVALID', 'url is required outside a browser')
  }
  let parsed: URL
  try { parsed = new URL(target) } catch {
    throw new SocketClientError('FST_SOCKETS_CLIENT_OPTIONS_INVALID', `url '${target.slice(0, 200)}' is not an absolute URL`)
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new SocketClientError('FST_SOCKETS_CLIENT_OPTIONS_INVALID', `url scheme must be http(s) or ws(s), got '${parsed.protocol}'`)
  }
  const socket = new ClientSocket<Events>(() => ({ url: parsed.origin, options: resolved }))
  socket.reconnect()
  return socket
}
