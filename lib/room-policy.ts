import type { Server, Socket } from 'socket.io'
import { FST_SOCKETS_ROOM_LIMIT, FST_SOCKETS_ROOM_NAME, FST_SOCKETS_ROOM_RESERVED } from './errors.js'
import { looksLikeSocketId } from './socket-id.js'

// What `join` may do with room names a client could have chosen. Socket ids are public and every
// socket sits alone in a room named after its id, so a route that joins a client-chosen name could
// otherwise put the caller into another socket's private room; prefixes the server uses for its own
// rooms (resource rooms) are protected the same way.

/** The prefix of the plugin's own resource rooms: always reserved, whatever `reservedRoomPrefixes` says. */
export const RESOURCE_ROOM_PREFIX = 'sails_model_'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export interface RoomPolicyOptions {
  readonly maxRoomsPerSocket: number
  readonly maxRoomNameLength: number
  readonly reservedRoomPrefixes: readonly string[]
}

export class RoomPolicy {
  readonly #io: Server
  readonly #opts: RoomPolicyOptions
  readonly #prefixes: readonly string[]

  constructor (io: Server, opts: RoomPolicyOptions) {
    this.#io = io
    this.#opts = opts
    // the option adds prefixes; it cannot take the protection of resource rooms away
    this.#prefixes = [RESOURCE_ROOM_PREFIX, ...opts.reservedRoomPrefixes]
  }

  /**
   * Checks names about to be joined. Non-strings are left to the registry's own check.
   * @throws FST_SOCKETS_ROOM_NAME, FST_SOCKETS_ROOM_RESERVED
   */
  checkNames (rooms: unknown, allowReserved: boolean): void {
    const list: unknown[] = Array.isArray(rooms) ? rooms : [rooms]
    for (const room of list) {
      if (typeof room !== 'string') continue
      // the length cap is on names a client could choose; the server's own (resource rooms) may be longer
      if (!allowReserved && room.length > this.#opts.maxRoomNameLength) {
        throw new FST_SOCKETS_ROOM_NAME(`longer than ${this.#opts.maxRoomNameLength} characters (maxRoomNameLength)`)
      }
      if (CONTROL.test(room)) throw new FST_SOCKETS_ROOM_NAME('holds a control character')
      if (!allowReserved && this.isReserved(room)) throw new FST_SOCKETS_ROOM_RESERVED(`'${room}'`)
    }
  }

  /** A socket id (of a socket here, or shaped like one held elsewhere) or a reserved prefix. */
  isReserved (room: string): boolean {
    if (looksLikeSocketId(room) || this.#io.of('/').sockets.has(room)) return true
    for (const prefix of this.#prefixes) if (room.startsWith(prefix)) return true
    return false
  }

  /**
   * Checks that `socket` joining `rooms` stays within maxRoomsPerSocket (its own id room not counted;
   * rooms it is already in cost nothing).
   * @throws FST_SOCKETS_ROOM_LIMIT
   */
  checkCapacity (socket: Socket, rooms: readonly string[]): void {
    let count = socket.rooms.size - (socket.rooms.has(socket.id) ? 1 : 0)
    for (const room of new Set(rooms)) if (!socket.rooms.has(room)) count++
    if (count > this.#opts.maxRoomsPerSocket) throw new FST_SOCKETS_ROOM_LIMIT(this.#opts.maxRoomsPerSocket)
  }
}
