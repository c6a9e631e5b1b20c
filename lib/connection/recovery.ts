import type { Server, Socket } from 'socket.io'

// socket.io's connection state recovery resumes from the offset of the last broadcast a client received,
// and a client that has received none since it connected sends no offset: it cannot recover, however
// short its disconnection (verified with socket.io 4.8 and socket.io-client 4.8). So every fresh socket of
// a v4 client is sent one broadcast of its own at once, which gives it an offset.

/** The event of that first broadcast. The client SDK has no listener for it; raw socket.io clients see it in `onAny`. */
export const RECOVERY_EVENT = 'fastify-sockets:recovery'

/** Sends `socket` its first offset (a broadcast to its own room), unless it recovered (it has one) or speaks Engine.IO 3 (it cannot recover). */
export function primeRecovery (io: Server, socket: Socket): void {
  if (socket.recovered || socket.conn.protocol !== 4) return
  io.to(socket.id).emit(RECOVERY_EVENT)
}

/**
 * Ends the session a refused recovery restored. The streams adapter consumed it already (GETDEL); socket.io's
 * in-memory adapter keeps it until it expires, so a later connection would recover what was refused.
 */
export function forgetSession (socket: Socket): void {
  const sessions = (socket.nsp.adapter as unknown as { sessions?: unknown }).sessions
  // pid: the session's private id (socket.io keeps it private; the session map is keyed by it)
  const pid = (socket as unknown as { pid?: unknown }).pid
  if (sessions instanceof Map && typeof pid === 'string') sessions.delete(pid)
}
