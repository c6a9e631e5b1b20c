import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import type { Socket } from 'socket.io'
import type { ResolvedOptions } from '../options.js'
import { FST_SOCKETS_CONNECTION_REFUSED } from '../errors.js'
import { forgetSession } from './recovery.js'

// Who may connect: the user's allowRequest at the Engine.IO handshake (the origin rule runs before it, on
// every Engine.IO request: origin-guard.ts), then the onConnection hook as a socket.io middleware; and the
// onDisconnect hook when a socket leaves.

type AllowRequest = (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void

/**
 * socket.io's `allowRequest`: the user's own decision about a handshake (polling or websocket), once the
 * origin rule let the request through.
 */
export function buildAllowRequest (opts: ResolvedOptions, log: FastifyBaseLogger): AllowRequest | undefined {
  const { allowRequest } = opts
  if (allowRequest === undefined) return undefined

  return (req, fn) => {
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

/** A socket.io namespace middleware (not an Engine.IO one). */
type SocketMiddleware = (socket: Socket, next: (err?: Error) => void) => void

/**
 * The `onConnection` hook as a socket.io middleware: it settles before the client is told it is
 * connected, so none of the socket's requests can overtake it. A throw or rejection refuses the socket
 * with a coded `connect_error`; the cause is logged, never sent to the client.
 */
export function buildConnectionHook (opts: ResolvedOptions, log: FastifyBaseLogger): SocketMiddleware | undefined {
  const hook = opts.onConnection
  if (hook === undefined) return undefined
  const refuse = (socket: Socket, next: (err?: Error) => void, err: unknown): void => {
    // a refused recovery ends the session: no later connection may recover it
    if (socket.recovered) forgetSession(socket)
    log.warn({ err, socketId: socket.id }, 'fastify-sockets: connection refused: onConnection failed')
    const refusal = new FST_SOCKETS_CONNECTION_REFUSED() as Error & { data?: unknown }
    refusal.data = { code: 'FST_SOCKETS_CONNECTION_REFUSED' }
    next(refusal)
  }
  return (socket, next) => {
    let result: void | Promise<void>
    try {
      result = hook(socket)
    } catch (err) {
      return refuse(socket, next, err)
    }
    Promise.resolve(result).then(() => next(), (err: unknown) => refuse(socket, next, err))
  }
}

/** Calls `onDisconnect`; whatever it throws or rejects with is logged, never thrown. */
export function buildDisconnectHook (opts: ResolvedOptions, log: FastifyBaseLogger): ((socket: Socket, reason: string) => void) | undefined {
  const hook = opts.onDisconnect
  if (hook === undefined) return undefined
  const fail = (socket: Socket, err: unknown): void => {
    log.error({ err, socketId: socket.id }, 'fastify-sockets: onDisconnect failed')
  }
  return (socket, reason) => {
    try {
      Promise.resolve(hook(socket, reason)).catch((err: unknown) => fail(socket, err))
    } catch (err) {
      fail(socket, err)
    }
  }
}
