import type { Server } from 'socket.io'

// Engine.IO closes a polling connection by queueing a close packet for the client's next poll, and
// waits up to 30 s for that poll. A client that went silent (a phone that lost its network) therefore
// holds a timer, and the process, for 30 s after `fastify.close()`; a live polling client whose poll
// races the HTTP server's close sees a transport error instead of the server's disconnect.

interface EngineSocket {
  readyState: string
  once (event: 'close', listener: () => void): unknown
  transport?: { shouldClose?: () => void }
}

function engineSockets (io: Server): EngineSocket[] {
  const clients = (io.engine as unknown as { clients?: Record<string, EngineSocket> }).clients ?? {}
  return Object.values(clients).filter((socket) => socket.readyState !== 'closed')
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

/** Ends the polling connections still waiting for a client to come back for its close packet. */
export function forceCloseConnections (io: Server): void {
  for (const socket of engineSockets(io)) {
    const finish = socket.transport?.shouldClose
    if (typeof finish === 'function') finish.call(socket.transport)
  }
}
