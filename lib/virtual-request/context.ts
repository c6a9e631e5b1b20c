import type { IncomingMessage } from 'node:http'
import type { Socket } from 'socket.io'
import { kSocketContext, kSocketState } from '../symbols.js'
import type { ThinnedCount } from '../common/log.js'
import type { VirtualConnection } from './request.js'
import type { Abortable } from './dispatch.js'
import type { JWR } from './jwr.js'
import type { SocketJar } from './cookie-jar.js'
import type { Deadlined } from './deadlines.js'

// The per-socket state of the plugin, and the two ways to reach it: from a socket.io socket, and from
// the raw request of a virtual request (the channel `request.isSocket` reads and no HTTP input can reach).

/** A virtual request waiting for its answer, queued for its deadline (deadlines.ts). */
export interface PendingRequest extends Deadlined<PendingRequest> {
  readonly ctx: SocketContext
  readonly ack: ((jwr: JWR) => void) | undefined
  readonly method: string
  readonly url: string
  settled: boolean
  request: Abortable | undefined
  /** The socket's other requests in flight: its list is threaded through them (pending-list.ts). */
  prev: PendingRequest | undefined
  next: PendingRequest | undefined
}

/** Per-connection state; also what a virtual request carries on its raw request under `kSocketContext`. */
export interface SocketContext {
  readonly socket: Socket
  readonly base: Record<string, string>
  readonly hasCookie: boolean
  readonly sdkProblem: string | undefined
  /** The newest of its requests waiting for an answer, linked to the others (pending-list.ts). */
  pending: PendingRequest | undefined
  /** How many requests it has waiting for an answer. */
  inFlight: number
  connected: boolean
  /** What its virtual requests see as `request.socket`; made on the first request. */
  connection: VirtualConnection | undefined
  /** Packets dropped without an ack, so the log lines about them thin out. */
  dropped: ThinnedCount | undefined
  /** What the app's answers set as cookies: made on the first that sets one; null when the handshake's host cannot have one. */
  jar: SocketJar | null | undefined
}

/** Attaches a context to its socket. */
export function setContextOf (socket: Socket, ctx: SocketContext): void {
  (socket as unknown as Record<symbol, SocketContext>)[kSocketState] = ctx
}

/** The context of a socket the plugin bound. */
export function contextOfSocket (socket: Socket): SocketContext {
  return (socket as unknown as Record<symbol, SocketContext>)[kSocketState] as SocketContext
}

/** The socket context of a raw request, if it is a virtual request. */
export function socketContextOf (raw: IncomingMessage): SocketContext | undefined {
  return (raw as unknown as Record<symbol, SocketContext | undefined>)[kSocketContext]
}
