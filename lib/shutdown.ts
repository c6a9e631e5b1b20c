import type { Server } from 'socket.io'

// Engine.IO closes a polling connection by queueing a close packet for the client's next poll, and
// waits up to 30 s for that poll. A client that went silent (a phone that lost its network) therefore
// holds a timer, and the process, for 30 s after `fastify.close()`; a live polling client whose poll
// races the HTTP server's close sees a transport error instead of the server's disconnect.

interface Transport {
  readyState: string
  shouldClose?: () => void
}

interface EngineSocket {
  readyState: string
  once (event: 'close', listener: () => void): unknown
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

/** Waits until every Engine.IO connection has closed, or `graceMs` passed, whichever comes first. */
export async function drainConnections (io: Server, graceMs: number): Promise<void> {
  const open = engineSockets(io)
  if (open.length === 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.all(open.map((socket) => new Promise<void>((resolve) => { socket.once('close', resolve) }))),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs) })
  ])
  clearTimeout(timer)
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
