import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import type { ResolvedOptions } from './options.js'

type AllowRequest = (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void

/**
 * socket.io's `allowRequest`: the exact-origin check, then the user's own decision. It runs for the
 * polling handshake and the websocket upgrade alike; socket.io's `cors` option does not block a
 * cross-site websocket, this does.
 */
export function buildAllowRequest (opts: ResolvedOptions, log: FastifyBaseLogger): AllowRequest | undefined {
  const { allowedOrigins, allowNoOrigin, allowRequest } = opts
  if (allowedOrigins === undefined && allowRequest === undefined) return undefined

  return (req, fn) => {
    if (allowedOrigins !== undefined) {
      const origin = req.headers.origin
      const allowed = origin === undefined ? allowNoOrigin : allowedOrigins.has(origin)
      if (!allowed) {
        log.info({ origin: origin ?? null, address: req.socket?.remoteAddress }, 'fastify-sockets: handshake refused: origin not allowed')
        return fn('origin not allowed', false)
      }
    }
    if (allowRequest === undefined) return fn(null, true)
    let decision: boolean | Promise<boolean>
    try {
      decision = allowRequest(req)
    } catch (err) {
      log.info({ err }, 'fastify-sockets: handshake refused: allowRequest threw')
      return fn('refused', false)
    }
    Promise.resolve(decision).then(
      (ok) => fn(ok === true ? null : 'refused', ok === true),
      (err: unknown) => {
        log.info({ err }, 'fastify-sockets: handshake refused: allowRequest rejected')
        fn('refused', false)
      })
  }
}
