import type { Server } from 'socket.io'
import { applyLocal, localMembers, localRooms, type Membership } from './membership.js'

/** Single-process membership: every change is applied synchronously to this node's sockets. */
export function memoryMembership (io: Server): Membership {
  return {
    // synchronous: a join in a route costs no promise chain (the facade returns one resolved promise)
    apply (change) { applyLocal(io, change); return undefined },
    async members (room) { return localMembers(io, room) },
    async rooms (socketId) { return localRooms(io, socketId) }
  }
}
