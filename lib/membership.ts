import type { Server } from 'socket.io'

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
 * Where membership lives. The in-memory one below covers a single process; the cluster one
 * (cluster.ts) applies each change on every node before resolving.
 */
export interface Membership {
  apply (op: MembershipOp): Promise<void>
  /** Socket ids in a room, all nodes together. */
  members (room: string): Promise<string[]>
  /** Rooms of a socket (without its own id room), or undefined when no node has it. */
  rooms (socketId: string): Promise<string[] | undefined>
  /**
   * Resolves once changes made directly to this node's sockets are visible to the other nodes (the sharded
   * adapter subscribes to a channel per room, asynchronously). Absent when nothing needs waiting for.
   */
  settled?: () => Promise<void>
}

/** Applies a membership change to the sockets of this process only. Synchronous. */
export function applyLocal (io: Server, change: MembershipOp): void {
  const nsp = io.of('/')
  const ids = new Set<string>()
  for (const source of change.sources) {
    const members = nsp.adapter.rooms.get(source)
    if (members !== undefined) for (const id of members) ids.add(id)
  }
  for (const id of ids) {
    const socket = nsp.sockets.get(id)
    if (socket === undefined) continue
    switch (change.op) {
      case 'join': socket.join(change.rooms); break
      case 'leave': for (const room of change.rooms) socket.leave(room); break
      case 'leaveAll':
        for (const room of [...socket.rooms]) if (room !== socket.id) socket.leave(room)
        break
      case 'disconnect': socket.disconnect(true); break
    }
  }
}

/** Socket ids in a room on this process. */
export function localMembers (io: Server, room: string): string[] {
  const members = io.of('/').adapter.rooms.get(room)
  return members === undefined ? [] : [...members]
}

/** Rooms of a socket of this process, without its own id room. */
export function localRooms (io: Server, socketId: string): string[] | undefined {
  const socket = io.of('/').sockets.get(socketId)
  if (socket === undefined) return undefined
  return [...socket.rooms].filter((room) => room !== socketId)
}

/** Single-process membership: every change is applied synchronously to this node's sockets. */
export function memoryMembership (io: Server): Membership {
  return {
    async apply (change) { applyLocal(io, change) },
    async members (room) { return localMembers(io, room) },
    async rooms (socketId) { return localRooms(io, socketId) }
  }
}
