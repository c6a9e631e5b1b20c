import type { Server } from 'socket.io'

// Engine.IO closes a polling connection by queueing a close packet for the client's next poll, and
// waits up to 30 s for that poll. A client that went silent (a phone that lost its network) therefore
// holds a timer, and the process, for 30 s after `fastify.close()`. And what a connection still holds
// (the 503s of requests in flight) is lost if its transport closes first.

interface Transport {
  readyState: string
  shouldClose?: () => void
}

interface EngineSocket {
  readyState: string
  writeBuffer: unknown[]
  transport?: Transport
}

function engineSockets (io: Server): EngineSocket[] {
  const clients = (io.engine as unknown as { clients?: Record<string, EngineSocket> }).clients ?? {}
  return Object.values(clients).filter((socket) => socket.readyState !== 'closed')
}

/** The transports of the open Engine.IO connections; taken before closing, as a closed socket forgets its transport's timer. */
export function openTransports (io: Server): Transport[] {
  const transports: Transport[] = []
  for (const socket of engineSockets(io)) if (socket.transport !== undefined) transports.push(socket.transport)
  return transports
}

/**
 * Waits until every Engine.IO connection has sent what it holds (a polling client takes it on its next
 * poll), or `graceMs` passed: a client that went silent is not waited for.
 */
export async function flushWrites (io: Server, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs
  const pending = (): boolean => engineSockets(io).some((socket) => socket.writeBuffer.length > 0)
  while (pending() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}

/**
 * Ends the polling transports still waiting for a client to come back for its close packet. A transport
 * can be marked closed by a dropped poll while its 30 s timer still runs, so the state is not a guide:
 * calling the pending close again only clears that timer and repeats an idempotent close.
 */
export function forceCloseTransports (transports: readonly Transport[]): void {
  for (const transport of transports) {
    const finish = transport.shouldClose
    if (typeof finish === 'function') finish.call(transport)
  }
}
