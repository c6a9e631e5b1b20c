import type { Server, Socket } from 'socket.io'
import { mayLeave } from '../rooms/rules.js'

// The seam between the rooms API and where membership lives (this process, or every node of a cluster),
// and the one way a membership change is applied to the sockets of this process.

/**
 * A change of room membership, addressed by rooms (a socket id is the room of that one socket).
 * It is the unit a cluster replicates: every node applies it to its own sockets.
 */
export interface MembershipOp {
  op: 'join' | 'leave' | 'leaveAll' | 'disconnect'
  /** Rooms whose members are affected (socket ids included). */
  sources: string[]
  /** Rooms joined or left; empty for leaveAll and disconnect. */
  rooms: string[]
}

/**
 * Where membership lives: memory.ts covers a single process; cluster.ts applies each change on every
 * node before resolving.
 */
export interface Membership {
  /** Applies a change; returns undefined when it is already applied (this process only), else when every node has. */
  apply (op: MembershipOp): Promise<void> | undefined
  /** Socket ids in a room, all nodes together. */
  members (room: string): Promise<string[]>
  /** Rooms of a socket (without its own id room), or undefined when no node has it. */
  rooms (socketId: string): Promise<string[] | undefined>
}

// The sockets of this process a change addresses: every member of each source room, and a source that
// is the id of a socket here (even if that socket is no longer in its own id room).
// (io.sockets is the main namespace; each lookup in its maps of every socket is a cache miss at 10,000 sockets,
// so the socket a source names is not looked up a second time as a member of its own room)
function socketsOf (io: Server, sources: readonly string[]): Iterable<Socket> {
  const nsp = io.sockets
  // the change a route makes: one socket, named by its id, alone in its own id room
  if (sources.length === 1) {
    const source = sources[0] as string
    const own = nsp.sockets.get(source)
    const members = nsp.adapter.rooms.get(source)
    if (own !== undefined && (members === undefined || (members.size === 1 && members.has(source)))) return [own]
  }
  const found = new Set<Socket>()
  for (const source of sources) {
    const own = nsp.sockets.get(source)
    if (own !== undefined) found.add(own)
    const members = nsp.adapter.rooms.get(source)
    if (members === undefined) continue
    for (const id of members) {
      if (own !== undefined && id === source) continue
      const socket = nsp.sockets.get(id)
      if (socket !== undefined) found.add(socket)
    }
  }
  return found
}

/** Applies a membership change to the sockets of this process only. Synchronous. */
export function applyLocal (io: Server, change: MembershipOp): void {
  for (const socket of socketsOf(io, change.sources)) {
    switch (change.op) {
      case 'join': socket.join(change.rooms); break
      // the same rule for leave and leaveAll: a socket keeps its own id room (rooms/rules.ts)
      case 'leave': for (const room of change.rooms) if (mayLeave(socket.id, room)) socket.leave(room); break
      case 'leaveAll':
        for (const room of [...socket.rooms]) if (mayLeave(socket.id, room)) socket.leave(room)
        break
      case 'disconnect': socket.disconnect(true); break
    }
  }
}

/** Socket ids in a room on this process. */
export function localMembers (io: Server, room: string): string[] {
  const members = io.sockets.adapter.rooms.get(room)
  return members === undefined ? [] : [...members]
}

/** Rooms of a socket of this process, without its own id room. */
export function localRooms (io: Server, socketId: string): string[] | undefined {
  const socket = io.sockets.sockets.get(socketId)
  if (socket === undefined) return undefined
  return [...socket.rooms].filter((room) => room !== socketId)
}
