import type { FastifyRequest } from 'fastify'
import type { Server } from 'socket.io'
import type { TObject, Static } from '@sinclair/typebox'
import type { ClientSocket, ClientOptions } from '../client/index.js'
import type { ClusterHealth } from '../cluster/cluster.js'
import type { TestClients } from '../client-support/connect-client.js'
import type { Resources } from '../resources/resources.js'
import type { Resource, ResourceOptions } from '../resources/resource.js'
import type { AnyRecord } from '../resources/messages.js'
import type { EventName, EventPayload, RoomName, RegistryJson, SocketId, SocketTarget, Except } from './declarations.js'
import type { EventRegistry } from './registry.js'
import type { RoomRules } from './rules.js'
import type { RoomOperations } from './operations.js'

export type { SocketId, SocketTarget, Except }

export interface JoinOptions {
  /**
   * Let the call join reserved rooms: socket id rooms and the `reservedRoomPrefixes` (resource rooms).
   * Only for names the server chose itself, never for a name that came from a client.
   */
  allowReserved?: boolean
}

/** Counters for health checks and leak tests. */
export interface SocketsStats {
  /** Sockets connected to this node. */
  connections: number
  /** Rooms on this node, without the sockets' own id rooms. */
  rooms: number
  /** Virtual requests of this node's sockets waiting for their answer. */
  inFlight: number
}

export interface BroadcastOptions {
  /** Sockets that do not receive the message: a request (its socket), a socket id or a room. */
  except?: Except
}

/** The parts the plugin builds a `fastify.sockets` from. */
export interface SocketsParts {
  readonly io: Server
  readonly ops: RoomOperations
  readonly rules: RoomRules
  readonly registry: EventRegistry
  readonly resources: Resources
  readonly clients: TestClients
  readonly cluster: ClusterHealth | undefined
  readonly inFlight: () => number
}

/**
 * `fastify.sockets`: rooms and pushes over socket.io, the Sails `sails.sockets` API plus what Sails
 * removed or never had. Methods that change membership return Promises that settle once the change
 * is applied (on every node, with the cluster option).
 */
export class Sockets {
  readonly #io: Server
  readonly #ops: RoomOperations
  readonly #rules: RoomRules
  readonly #registry: EventRegistry
  readonly #resources: Resources
  readonly #clients: TestClients
  readonly #cluster: ClusterHealth | undefined
  readonly #inFlight: () => number

  /** @internal built by the plugin */
  constructor (parts: SocketsParts) {
    this.#io = parts.io
    this.#ops = parts.ops
    this.#rules = parts.rules
    this.#registry = parts.registry
    this.#resources = parts.resources
    this.#clients = parts.clients
    this.#cluster = parts.cluster
    this.#inFlight = parts.inFlight
  }

  /**
   * This node's cluster link (`ready`, `status()`), or `undefined` without the `cluster` option.
   * @example
   * ```ts
   * app.get('/health/ready', async (request, reply) =>
   *   app.sockets.cluster?.ready === false ? reply.code(503).send(app.sockets.cluster.status()) : { ready: true })
   * ```
   */
  get cluster (): ClusterHealth | undefined {
    return this.#cluster
  }

  /**
   * Counters of this node: connected sockets, rooms (without id rooms), virtual requests in flight.
   * @example
   * ```ts
   * app.get('/health', async () => app.sockets.stats())
   * ```
   */
  stats (): SocketsStats {
    const adapter = this.#io.of('/').adapter
    let rooms = 0
    for (const room of adapter.rooms.keys()) if (!adapter.sids.has(room)) rooms++
    return { connections: this.#io.of('/').sockets.size, rooms, inFlight: this.#inFlight() }
  }

  /** The raw socket.io server: the escape hatch for anything this API does not cover. */
  get io (): Server {
    return this.#io
  }

  /**
   * The socket id of a socket request; `undefined` for an HTTP request.
   * @example
   * ```ts
   * app.get('/me', async (request) => ({ socketId: app.sockets.getId(request) }))
   * ```
   */
  getId (request: FastifyRequest): SocketId | undefined {
    return this.#ops.getId(request) as SocketId | undefined
  }

  /**
   * Adds sockets to one room or several. Reserved rooms (socket ids, `reservedRoomPrefixes`) are refused
   * unless `options.allowReserved`; a socket of this node may not pass `maxRoomsPerSocket`.
   * @example
   * ```ts
   * app.get('/chat/join', async (request) => {
   *   await app.sockets.join(request, 'chat:lobby')
   *   return { joined: true }
   * })
   * ```
   * A socket request joining a room whose pattern has a `join` guard joins only if the guard allows;
   * otherwise nothing is joined and the promise rejects with FST_SOCKETS_JOIN_REFUSED (403), which
   * an awaited join in a route answers as a 403 JWR. A promise of `fastify.sockets` that nobody awaits
   * never becomes an unhandled rejection: its error is logged (with its code) instead. Socket ids skip the guards (the server
   * decides for them).
   * @throws FST_SOCKETS_NOT_SOCKET_REQUEST for an HTTP request, FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_INVALID_ROOM,
   *   FST_SOCKETS_UNDECLARED_ROOM, FST_SOCKETS_JOIN_REFUSED, FST_SOCKETS_ROOM_NAME, FST_SOCKETS_ROOM_RESERVED,
   *   FST_SOCKETS_ROOM_LIMIT
   */
  join (target: SocketTarget, rooms: RoomName | readonly RoomName[], options?: JoinOptions): Promise<void> {
    return this.#ops.watched(() => this.#ops.join(target, rooms, options?.allowReserved === true))
  }

  /**
   * Removes sockets from one room or several. A socket never leaves its own id room (it stays
   * reachable by `emit(id)`, `members(id)` and `disconnect(id)`): naming it is not an error, it is kept.
   * @example
   * ```ts
   * await app.sockets.leave(request, 'chat:lobby')
   * ```
   */
  leave (target: SocketTarget, rooms: RoomName | readonly RoomName[]): Promise<void> {
    return this.#ops.watched(() => this.#ops.leave(target, rooms))
  }

  /**
   * Every member of `sourceRoom` leaves all its rooms (it keeps its own id room).
   * @example
   * ```ts
   * await app.sockets.leaveAll('game:42')
   * ```
   */
  leaveAll (sourceRoom: RoomName | SocketId): Promise<void> {
    return this.#ops.watched(async () => this.#ops.leaveAll(sourceRoom))
  }

  /**
   * Every member of `sourceRoom` joins `destRooms`.
   * @example
   * ```ts
   * await app.sockets.addRoomMembersToRooms('team:1', ['game:42'])
   * ```
   */
  addRoomMembersToRooms (sourceRoom: RoomName | SocketId, destRooms: RoomName | readonly RoomName[], options?: JoinOptions): Promise<void> {
    return this.#ops.watched(async () => this.#ops.addRoomMembersToRooms(sourceRoom, destRooms, options?.allowReserved === true))
  }

  /**
   * Every member of `sourceRoom` leaves `destRooms` (each keeps its own id room).
   * @example
   * ```ts
   * await app.sockets.removeRoomMembersFromRooms('team:1', 'game:42')
   * ```
   */
  removeRoomMembersFromRooms (sourceRoom: RoomName | SocketId, destRooms: RoomName | readonly RoomName[]): Promise<void> {
    return this.#ops.watched(async () => this.#ops.removeRoomMembersFromRooms(sourceRoom, destRooms))
  }

  /**
   * Sends `event` to every socket in the rooms, except `options.except`. Validation (when the event
   * has a schema) runs once per call; on failure nothing is sent.
   * @example
   * ```ts
   * app.sockets.broadcast('funSockets', 'hello', { howdy: 'hi there!' }, { except: request })
   * ```
   */
  broadcast<E extends EventName> (rooms: RoomName | SocketId | readonly (RoomName | SocketId)[], event: E, payload: EventPayload<E>, options?: BroadcastOptions): void {
    this.#ops.broadcast(rooms, event, payload, options?.except)
  }

  /**
   * Sends `event` to every connected socket, except `options.except`.
   * @example
   * ```ts
   * app.sockets.blast('announcement', { text: 'maintenance at noon' })
   * ```
   */
  blast<E extends EventName> (event: E, payload: EventPayload<E>, options?: BroadcastOptions): void {
    this.#ops.blast(event, payload, options?.except)
  }

  /**
   * Sends `event` to one socket, on whichever node holds it.
   * @example
   * ```ts
   * app.sockets.emit(socketId, 'notice', { text: 'just for you' })
   * ```
   */
  emit<E extends EventName> (socketId: SocketId, event: E, payload: EventPayload<E>): void {
    this.#ops.emit(socketId, event, payload)
  }

  /**
   * Socket ids in a room (all nodes, with the cluster option).
   * @example
   * ```ts
   * const ids = await app.sockets.members('chat:lobby')
   * ```
   */
  members (room: RoomName | SocketId): Promise<SocketId[]> {
    return this.#ops.watched(async () => await this.#ops.members(room) as SocketId[])
  }

  /**
   * Rooms a socket is in, without its own id room; an empty array when no socket has that id.
   * @example
   * ```ts
   * const rooms = await app.sockets.rooms(request)
   * ```
   */
  rooms (target: FastifyRequest | SocketId): Promise<string[]> {
    return this.#ops.watched(async () => this.#ops.rooms(target))
  }

  /**
   * Disconnects sockets (on whichever node holds them).
   * @example
   * ```ts
   * await app.sockets.disconnect(socketId)
   * ```
   */
  disconnect (target: SocketTarget): Promise<void> {
    return this.#ops.watched(async () => this.#ops.disconnect(target))
  }

  /**
   * The event and room registry as plain JSON Schema: serve it to clients, or feed a code generator.
   * @example
   * ```ts
   * app.get('/sockets/schemas', async () => app.sockets.schemas())
   * ```
   */
  schemas (): RegistryJson {
    return { events: this.#registry.schemas(), rooms: this.#rules.schemas() }
  }

  /**
   * A connected client SDK socket against this app, for your tests (the `injectWS` idea): a real
   * socket.io connection over TCP, disconnected when the app closes. If the app is not listening yet it
   * starts listening on 127.0.0.1, on a free port. Reconnection is off unless `options.reconnection`.
   * @example
   * ```ts
   * const client = await app.sockets.connectClient({ initialConnectionHeaders: { cookie: 'sid=abc' } })
   * const jwr = await client.get('/me')
   * ```
   * @throws FST_SOCKETS_CONNECT_CLIENT when the app cannot be reached (closing, listening on a pipe, refused)
   */
  async connectClient (options?: ClientOptions): Promise<ClientSocket> {
    return await this.#clients.connect(options)
  }

  /**
   * The resourceful pub-sub of one kind of record (Sails model pub-sub), created on first use and the same
   * object on every later call. With a TypeBox `schema`, messages are typed and checked from it.
   * @example
   * ```ts
   * const users = app.sockets.resource('user', { schema: User }) // Resource<Static<typeof User>>
   * await users.subscribe(request, [1, 2])
   * await users.publishUpdate(1, { name: 'max' }, { except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_OPTIONS_INVALID for a bad identity or options, or other options than the first call's
   */
  resource<S extends TObject> (identity: string, options: ResourceOptions<S> & { schema: S }): Resource<Static<S>>
  resource<R extends object = AnyRecord> (identity: string, options?: ResourceOptions<undefined>): Resource<R>
  resource (identity: string, options?: ResourceOptions): Resource<object> {
    return this.#resources.get(identity, options)
  }
}
