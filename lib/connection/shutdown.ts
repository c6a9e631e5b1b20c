import type { Server } from 'socket.io'
import { openConnections, type EngineTransport } from './engine.js'

// Engine.IO closes a polling connection by queueing a close packet for the client's next poll, and
// waits up to 30 s for that poll. A client that went silent (a phone that lost its network) therefore
// holds a timer, and the process, for 30 s after `fastify.close()`. And what a connection still holds
// (the 503s of requests in flight) is lost if its transport closes first.

/** How long `fastify.close()` lets the answers of the requests it settled (results and 503s) reach polling clients before closing them. */
export const FLUSH_GRACE_MS = 1000

/** The transports of the open Engine.IO connections; taken before closing, as a closed socket forgets its transport's timer. */
export function openTransports (io: Server): EngineTransport[] {
  const transports: EngineTransport[] = []
  for (const conn of openConnections(io)) if (conn.transport !== undefined) transports.push(conn.transport)
  return transports
}

/**
 * Waits until every Engine.IO connection has sent what it holds (a polling client takes it on its next
 * poll), or `graceMs` passed: a client that went silent is not waited for.
 */
export async function flushWrites (io: Server, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs
  const pending = (): boolean => openConnections(io).some((conn) => conn.writeBuffer.length > 0)
  while (pending() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}

/**
 * The first half of closing, once no new request is taken: lets queued answers out (within the grace),
 * then closes every transport. Returns the transports to finish with `forceCloseTransports` once
 * socket.io has closed.
 *
 * Transports are closed rather than sending socket.io DISCONNECT packets: clients see 'transport close'
 * and reconnect to the next server (restart, deploy), as with socket.io's own close(). A DISCONNECT
 * ('io server disconnect') is what sockets.disconnect() sends, and clients do not undo it.
 */
export async function closeTransports (io: Server, graceMs: number): Promise<EngineTransport[]> {
  const transports = openTransports(io)
  await flushWrites(io, graceMs)
  // `discard`: a polling transport with no pending poll closes now instead of arming a 30 s timer
  // that would keep the process alive after close.
  for (const socket of io.of('/').sockets.values()) socket.conn.close(true)
  return transports
}

/**
 * Ends the polling transports still waiting for a client to come back for its close packet. A transport
 * can be marked closed by a dropped poll while its 30 s timer still runs, so the state is not a guide:
 * calling the pending close again only clears that timer and repeats an idempotent close.
 */
export function forceCloseTransports (transports: readonly EngineTransport[]): void {
  for (const transport of transports) {
    const finish = transport.shouldClose
    if (typeof finish === 'function') finish.call(transport)
  }
}
