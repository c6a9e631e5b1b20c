import { FST_SOCKETS_INVALID_EVENT, FST_SOCKETS_INVALID_ROOM } from './errors.js'

/**
 * Server-to-client events of your app: event name -> TypeBox schema type. Declare it once by
 * declaration merging; every emitting surface is then typed by it.
 *
 * @example
 * ```ts
 * declare module 'fastify-sockets' {
 *   interface SocketEvents { hello: typeof Hello }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SocketEvents {}

/**
 * Room names of your app: label -> room name type (template literals such as `chat:${string}`).
 *
 * @example
 * ```ts
 * declare module 'fastify-sockets' {
 *   interface SocketRooms { chat: `chat:${string}`, fun: 'funSockets' }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SocketRooms {}

type NoEvents = [keyof SocketEvents] extends [never] ? true : false
type NoRooms = [keyof SocketRooms] extends [never] ? true : false

/** A declared event name; `string` when nothing is declared. */
export type EventName = NoEvents extends true ? string : keyof SocketEvents & string
/** The payload type of an event; `unknown` when nothing is declared. */
export type EventPayload<E extends string> = NoEvents extends true
  ? unknown
  : E extends keyof SocketEvents ? (SocketEvents[E] extends { static: infer P } ? P : never) : never
/** A room name matching a declared pattern; `string` when nothing is declared. */
export type RoomName = NoRooms extends true ? string : SocketRooms[keyof SocketRooms] & string

// socket.io refuses these names for emits; checking them ourselves gives a coded error instead.
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'])

export const MAX_ROOM_NAME_LENGTH = 256

/**
 * Runtime side of the registry: checks an outgoing event and its rooms, once per call
 * (never per recipient).
 */
export class EventRegistry {
  /** @throws FST_SOCKETS_INVALID_EVENT */
  checkEvent (event: unknown, _payload: unknown): void {
    if (typeof event !== 'string' || event.length === 0 || event.length > 256 || RESERVED_EVENTS.has(event)) {
      throw new FST_SOCKETS_INVALID_EVENT(typeof event === 'string' ? `'${event.slice(0, 64)}'` : typeof event)
    }
  }

  /** @throws FST_SOCKETS_INVALID_ROOM */
  checkRoom (room: unknown): string {
    if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
      throw new FST_SOCKETS_INVALID_ROOM(typeof room === 'string'
        ? `length must be 1..${MAX_ROOM_NAME_LENGTH}, got ${room.length}`
        : `expected a string, got ${room === null ? 'null' : typeof room}`)
    }
    return room
  }

  /** Normalises `room | rooms` to a non-empty array of checked names. */
  checkRooms (rooms: unknown): string[] {
    if (Array.isArray(rooms)) {
      if (rooms.length === 0) throw new FST_SOCKETS_INVALID_ROOM('empty array of rooms')
      return rooms.map((room) => this.checkRoom(room))
    }
    return [this.checkRoom(rooms)]
  }
}
