import type { FastifyRequest } from 'fastify'
import type { Server, Socket } from 'socket.io'
import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import {
  FST_SOCKETS_INVALID_ROOM, FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_NOT_SOCKET_REQUEST, FST_SOCKETS_UNDECLARED_ROOM,
  FST_SOCKETS_JOIN_REFUSED, FST_SOCKETS_ROOM_LIMIT, FST_SOCKETS_ROOM_NAME, FST_SOCKETS_ROOM_RESERVED
} from '../errors.js'
import { LIMITS } from '../common/limits.js'
import { socketContextOf } from '../virtual-request/context.js'
import type { JoinGuard } from './declarations.js'
import type { RoomPatternOption } from './registry-options.js'
import { compileSchema } from './registry.js'
import { paramReader, type ParamReader } from './patterns.js'

// Every rule about room names and the sockets an operation targets. Each method of fastify.sockets
// calls these before it changes or sends anything, so a refusal leaves nothing half done.
//
// A room name meets these rules, in this order (the first that fails is the error):
//  1. a string (else FST_SOCKETS_INVALID_ROOM, a programming error);
//  2. a name a client could have chosen (join, addRoomMembersToRooms without allowReserved) is at most
//     `maxRoomNameLength` long: FST_SOCKETS_ROOM_NAME (400), not a server error;
//  3. 1..256 characters, the cap on every room name: FST_SOCKETS_INVALID_ROOM;
//  4. names being joined hold no control character: FST_SOCKETS_ROOM_NAME;
//  5. names a client could have chosen are not reserved (a socket id room, a name shaped like a socket id,
//     a reserved prefix, the resource rooms): FST_SOCKETS_ROOM_RESERVED (403);
//  6. once room patterns are declared, the name matches one (socket ids, where a socket may stand, and the
//     plugin's own prefixes pass): FST_SOCKETS_UNDECLARED_ROOM.
// Then the targets: socket requests (an HTTP request is FST_SOCKETS_NOT_SOCKET_REQUEST) and socket ids.
// A join then runs the join guards of the patterns its rooms match, for each socket request
// (FST_SOCKETS_JOIN_REFUSED), and last the per-socket cap (FST_SOCKETS_ROOM_LIMIT), checked for every
// capped socket before anything is joined.

/** The prefix of the plugin's own resource rooms: always reserved, whatever `reservedRoomPrefixes` says. */
export const RESOURCE_ROOM_PREFIX = 'sails_model_'

// socket.io ids are 20 characters of base64url (15 random bytes). A node cannot know the ids held by
// other nodes, so a name of that shape is treated as a possible socket id wherever that matters
// (room patterns let ids through; client-chosen joins refuse them).
const SOCKET_ID_LENGTH = 20
const SOCKET_ID_SHAPE = /^[A-Za-z0-9_-]{20}$/

/** Whether `name` has the shape of a socket.io socket id. */
export function looksLikeSocketId (name: string): boolean {
  return name.length === SOCKET_ID_LENGTH && SOCKET_ID_SHAPE.test(name)
}

/**
 * Whether a leave may take the socket `socketId` out of `room`. A socket's own id room is its address:
 * without it `emit(id)`, `members(id)`, `addRoomMembersToRooms(id, ...)` and a remote `disconnect(id)`
 * would silently miss it, so `leave`, `leaveAll` and `removeRoomMembersFromRooms` keep it, on every node.
 */
export function mayLeave (socketId: string, room: string): boolean {
  return room !== socketId
}

// C0 and C1 controls and DEL (one pass, no regular expression: every join through a route checks its names)
function hasControl (name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}

/** Why a room name is being checked: it decides which of the rules apply. */
export type RoomUse =
  /** leave, broadcast, sources: rules 1, 3, 6 */
  | 'address'
  /** a join whose names a client could have chosen: every rule */
  | 'join'
  /** a join whose names the server chose (`allowReserved`): rules 1, 3, 4, 6 */
  | 'join-reserved'

export interface RoomRulesOptions {
  readonly maxRoomsPerSocket: number
  readonly maxRoomNameLength: number
  readonly reservedRoomPrefixes: readonly string[]
  /** The declared room patterns, if any. */
  readonly rooms: Readonly<Record<string, RoomPatternOption>> | undefined
}

interface CompiledPattern {
  readonly label: string
  readonly check: TypeCheck<TSchema>
  readonly params: ParamReader
  readonly guard: JoinGuard | undefined
  readonly schema: TSchema
}

/** A join that passed the name and target rules: who joins what. */
export interface JoinPlan {
  readonly ids: string[]
  readonly requests: FastifyRequest[]
  readonly rooms: string[]
}

function isRequest (value: unknown): value is FastifyRequest {
  return value !== null && typeof value === 'object' && 'raw' in value
}

/** The room and target rules of one registration. */
export class RoomRules {
  readonly #io: Server
  readonly #opts: RoomRulesOptions
  readonly #reserved: readonly string[]
  readonly #patterns: CompiledPattern[] = []
  readonly #internalPrefixes: string[] = []
  readonly #guarded: boolean
  // Whether a socket here ever had an id not shaped like socket.io's own (an app's generateId): only then can a
  // room name be the id of a socket here without looking like one, and the map of every socket is worth a
  // lookup (in a profile of joins at 10,000 sockets, that lookup was the costliest step of the rules).
  #oddIds = false

  /** @throws FST_SOCKETS_OPTIONS_INVALID when a room pattern does not compile */
  constructor (io: Server, opts: RoomRulesOptions) {
    this.#io = io
    this.#opts = opts
    // the option adds prefixes; it cannot take the protection of resource rooms away
    this.#reserved = [RESOURCE_ROOM_PREFIX, ...opts.reservedRoomPrefixes]
    for (const [label, { pattern, join }] of Object.entries(opts.rooms ?? {})) {
      this.#patterns.push({ label, check: compileSchema(pattern, `rooms.${label}`), params: paramReader(pattern), guard: join, schema: pattern })
    }
    this.#guarded = this.#patterns.some((pattern) => pattern.guard !== undefined)
  }

  /** Room names starting with `prefix` skip the declared patterns (the plugin's own rooms, such as resource rooms). */
  allowPrefix (prefix: string): void {
    if (!this.#internalPrefixes.includes(prefix)) this.#internalPrefixes.push(prefix)
  }

  /** One room name checked for `use` (rules 1 to 6). */
  room (room: unknown, use: RoomUse): string {
    if (typeof room !== 'string') throw new FST_SOCKETS_INVALID_ROOM(`expected a string, got ${room === null ? 'null' : typeof room}`)
    const chosenByClient = use === 'join'
    if (chosenByClient && room.length > this.#opts.maxRoomNameLength) {
      throw new FST_SOCKETS_ROOM_NAME(`longer than ${this.#opts.maxRoomNameLength} characters (maxRoomNameLength)`)
    }
    if (room.length === 0 || room.length > LIMITS.roomName) throw new FST_SOCKETS_INVALID_ROOM(`length must be 1..${LIMITS.roomName}, got ${room.length}`)
    if (use !== 'address' && hasControl(room)) throw new FST_SOCKETS_ROOM_NAME('holds a control character')
    if (chosenByClient && this.isReserved(room)) throw new FST_SOCKETS_ROOM_RESERVED(`'${room}'`)
    if (this.#patterns.length > 0 && !this.#declared(room)) throw new FST_SOCKETS_UNDECLARED_ROOM(room.slice(0, 64))
    return room
  }

  /** `room | rooms` normalised to a non-empty array of checked names. */
  rooms (rooms: unknown, use: RoomUse): string[] {
    if (!Array.isArray(rooms)) return [this.room(rooms, use)]
    if (rooms.length === 0) throw new FST_SOCKETS_INVALID_ROOM('empty array of rooms')
    return rooms.map((room) => this.room(room, use))
  }

  /** A socket id: a string of 1..256 characters (no pattern applies). */
  socketId (id: unknown): string {
    if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.roomName) {
      throw new FST_SOCKETS_INVALID_ROOM(typeof id === 'string'
        ? `length must be 1..${LIMITS.roomName}, got ${id.length}`
        : `expected a string, got ${id === null ? 'null' : typeof id}`)
    }
    return id
  }

  /** A name that may be a room or a socket id (a name of the socket id shape passes the patterns). */
  roomOrSocket (name: unknown): string {
    const checked = this.socketId(name)
    if (this.#patterns.length > 0 && !looksLikeSocketId(checked) && !this.#declared(checked)) {
      throw new FST_SOCKETS_UNDECLARED_ROOM(checked.slice(0, 64))
    }
    return checked
  }

  /** `roomOrSocket` over `name | names`, normalised to a non-empty array. */
  roomsOrSockets (names: unknown): string[] {
    if (!Array.isArray(names)) return [this.roomOrSocket(names)]
    if (names.length === 0) throw new FST_SOCKETS_INVALID_ROOM('empty array of rooms')
    return names.map((name) => this.roomOrSocket(name))
  }

  /** The socket ids of a target (a socket request, a socket id, or an array of them), and its requests. */
  targets (target: unknown): { ids: string[], requests: FastifyRequest[] } {
    const list: unknown[] = Array.isArray(target) ? target : [target]
    if (list.length === 0) throw new FST_SOCKETS_INVALID_TARGET('empty array')
    const ids: string[] = []
    const requests: FastifyRequest[] = []
    for (const item of list) {
      if (typeof item === 'string') {
        ids.push(this.socketId(item))
      } else if (isRequest(item)) {
        const ctx = socketContextOf(item.raw)
        if (ctx === undefined) throw new FST_SOCKETS_NOT_SOCKET_REQUEST()
        ids.push(ctx.socket.id)
        requests.push(item)
      } else {
        throw new FST_SOCKETS_INVALID_TARGET(item === null ? 'null' : typeof item)
      }
    }
    return { ids, requests }
  }

  /** Who a broadcast skips: socket ids and rooms; an HTTP request skips nobody. */
  except (except: unknown): string[] | undefined {
    if (except === undefined) return undefined
    const list: unknown[] = Array.isArray(except) ? except : [except]
    const names: string[] = []
    for (const item of list) {
      if (isRequest(item)) {
        const id = socketContextOf(item.raw)?.socket.id
        if (id !== undefined) names.push(id)
      } else {
        names.push(this.roomOrSocket(item))
      }
    }
    return names
  }

  /**
   * Every rule of a join, in order: names, targets, join guards, the per-socket cap. Synchronous when no
   * guard applies, so a join nobody awaits is applied before the caller's next statement (as in Sails).
   * @throws (or rejects with) the coded error of the first rule that fails
   */
  checkJoin (target: unknown, rooms: unknown, serverChosen: boolean): JoinPlan | Promise<JoinPlan> {
    const names = this.rooms(rooms, serverChosen ? 'join-reserved' : 'join')
    const { ids, requests } = this.targets(target)
    const plan: JoinPlan = { ids, requests, rooms: names }
    const guarded = this.authorize(requests, names)
    if (guarded === undefined) {
      if (!serverChosen) this.#checkCapacity(plan)
      return plan
    }
    return guarded.then(() => {
      if (!serverChosen) this.#checkCapacity(plan)
      return plan
    })
  }

  /** Notes the id of a socket that connected here (see isReserved). */
  noteSocket (id: string): void {
    if (!this.#oddIds && !looksLikeSocketId(id)) this.#oddIds = true
  }

  /** Whether a name is reserved: a socket id (of a socket here, or shaped like one held elsewhere) or a reserved prefix. */
  isReserved (room: string): boolean {
    if (looksLikeSocketId(room) || (this.#oddIds && this.#io.sockets.sockets.has(room))) return true
    for (const prefix of this.#reserved) if (room.startsWith(prefix)) return true
    return false
  }

  /** The declared room patterns as plain JSON Schema. */
  schemas (): Record<string, unknown> {
    const rooms: Record<string, unknown> = {}
    for (const { label, schema } of this.#patterns) rooms[label] = JSON.parse(JSON.stringify(schema))
    return rooms
  }

  #declared (name: string): boolean {
    for (const pattern of this.#patterns) if (pattern.check.Check(name)) return true
    for (const prefix of this.#internalPrefixes) if (name.startsWith(prefix)) return true
    return false
  }

  /** Runs the join guards of every pattern each room matches, for each socket request; undefined when none applies. */
  authorize (requests: readonly FastifyRequest[], rooms: readonly string[]): Promise<void> | undefined {
    if (!this.#guarded || requests.length === 0) return undefined
    const checks: Array<() => Promise<void>> = []
    for (const room of rooms) {
      for (const pattern of this.#patterns) {
        const guard = pattern.guard
        if (guard === undefined || !pattern.check.Check(room)) continue
        const params = pattern.params(room) ?? []
        for (const request of requests) {
          checks.push(async () => {
            if (await guard(request, params as never, room) !== true) throw new FST_SOCKETS_JOIN_REFUSED(room.slice(0, 64))
          })
        }
      }
    }
    if (checks.length === 0) return undefined
    // one after the other, as a refusal stops the rest
    return checks.reduce<Promise<void>>((chain, check) => chain.then(check), Promise.resolve())
  }

  // The cap is on what a client can grow: its own socket's rooms, joined through one of its requests.
  // Joins by socket id, and rooms the server marks as its own (resource subscriptions), are the server's.
  #checkCapacity (plan: JoinPlan): void {
    for (const request of plan.requests) {
      // the request's own socket, while it is connected here (a socket that left is in no room any more)
      const socket = socketContextOf(request.raw)?.socket
      if (socket?.connected === true) this.#checkSocketCapacity(socket, plan.rooms)
    }
  }

  #checkSocketCapacity (socket: Socket, rooms: readonly string[]): void {
    const joined = socket.rooms
    const max = this.#opts.maxRoomsPerSocket
    // Far from the cap, as a rule: no lookups when even every room being new would stay within it. (In a
    // profile of a join route on a socket in many rooms, the lookups cost as much as socket.io's own join.)
    if (joined.size + rooms.length <= max) return
    let count = joined.size - (joined.has(socket.id) ? 1 : 0)
    for (const room of new Set(rooms)) if (!joined.has(room)) count++
    if (count > max) throw new FST_SOCKETS_ROOM_LIMIT(max)
  }
}
