import type { FastifyRequest } from 'fastify'
import type { Server, Socket } from 'socket.io'
import { socketContextOf } from './virtual-request.js'
import type { EventName, EventPayload, RoomName, EventRegistry, RegistryJson, SocketId } from './events.js'
import type { Membership } from './membership.js'
import type { RoomPolicy } from './room-policy.js'
import { FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_NOT_SOCKET_REQUEST, FST_SOCKETS_CONNECT_CLIENT } from './errors.js'
import type { TestClients } from './test-client.js'
import type { ClientSocket, ClientOptions } from './client/index.js'
import type { TObject, Static } from '@sinclair/typebox'
import { Resources, type Resource, type ResourceOptions, type AnyRecord } from './resources.js'
import type { ClusterHealth } from './cluster.js'

// A socket id: `string`, branded once rooms are declared (see events.ts).
export type { SocketId }
/** Who an operation applies to: a socket request, a socket id, or an array of them. */
export type SocketTarget = FastifyRequest | SocketId | ReadonlyArray<FastifyRequest | SocketId>
/** Who a broadcast skips: a socket request, a socket id, a room, or an array of them. */
export type Except = FastifyRequest | SocketId | RoomName | ReadonlyArray<FastifyRequest | SocketId | RoomName>

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

/** Ids of the sockets of the socket requests in a target (ids given as strings are left out). */
function requestSockets (target: unknown): Set<string> {
  const ids = new Set<string>()
  for (const item of Array.isArray(target) ? target : [target]) {
    if (isRequest(item)) {
      const id = socketContextOf(item.raw)?.socket.id
      if (id !== undefined) ids.add(id)
    }
  }
  return ids
}

function isRequest (value: unknown): value is FastifyRequest {
  return value !== null && typeof value === 'object' && 'raw' in value
}

function requestsOf (target: unknown): FastifyRequest[] {
  const list: unknown[] = Array.isArray(target) ? target : [target]
  return list.filter(isRequest)
}

/**
 * `fastify.sockets`: rooms and pushes over socket.io, the Sails `sails.sockets` API plus what Sails
 * removed or never had. Methods that change membership return Promises that settle once the change
 * is applied (on every node, with the cluster option).
 */
export class Sockets {
  readonly #io: Server
  readonly #membership: Membership
  readonly #registry: EventRegistry
  readonly #clients: TestClients | undefined
  readonly #cluster: ClusterHealth | undefined
  #resources: Resources | undefined
  readonly #policy: RoomPolicy | undefined
  readonly #inFlight: () => number

  /** @internal built by the plugin */
  constructor (io: Server, membership: Membership, registry: EventRegistry,
    extras: { clients?: TestClients, cluster?: ClusterHealth | undefined, policy?: RoomPolicy, inFlight?: () => number } = {}) {
    this.#io = io
    this.#membership = membership
    this.#registry = registry
    this.#clients = extras.clients
    this.#cluster = extras.cluster
    this.#policy = extras.policy
    this.#inFlight = extras.inFlight ?? (() => 0)
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
    if (!isRequest(request)) return undefined
    return socketContextOf(request.raw)?.socket.id as SocketId | undefined
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
   * an unhandled rejection in a route answers as a 403 JWR. Socket ids skip the guards (the server
   * decides for them).
   * @throws FST_SOCKETS_NOT_SOCKET_REQUEST for an HTTP request, FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_INVALID_ROOM,
   *   FST_SOCKETS_UNDECLARED_ROOM, FST_SOCKETS_JOIN_REFUSED, FST_SOCKETS_ROOM_NAME, FST_SOCKETS_ROOM_RESERVED,
   *   FST_SOCKETS_ROOM_LIMIT
   */
  async join (target: SocketTarget, rooms: RoomName | readonly RoomName[], options?: JoinOptions): Promise<void> {
    const serverChosen = options?.allowReserved === true
    // the policy first: a name a client could have chosen that is too long is a 400, not a server error
    this.#policy?.checkNames(rooms, serverChosen)
    const names = this.#registry.checkRooms(rooms)
    if (this.#registry.hasRooms) {
      this.#ids(target) // a bad target is refused before any guard runs
      await this.#registry.authorize(requestsOf(target), names)
    }
    // The cap is on what a client can grow: its own socket's rooms, joined through one of its requests.
    // Joins by socket id, and rooms the server marks as its own (resource subscriptions), are the server's.
    // Checked for every capped socket before any joins: a refusal leaves no target half-joined.
    if (!serverChosen && this.#policy !== undefined) {
      const local = this.#io.of('/').sockets
      for (const id of requestSockets(target)) {
        const socket = local.get(id)
        if (socket !== undefined) this.#policy.checkCapacity(socket, names)
      }
    }
    await this.#eachTarget(target, (socket) => { socket.join(names) }, (ids) =>
      this.#membership.apply({ op: 'join', sources: ids, rooms: names }))
  }

  /**
   * Removes sockets from one room or several.
   * @example
   * ```ts
   * await app.sockets.leave(request, 'chat:lobby')
   * ```
   */
  async leave (target: SocketTarget, rooms: RoomName | readonly RoomName[]): Promise<void> {
    const names = this.#registry.checkRooms(rooms)
    await this.#eachTarget(target, (socket) => { for (const room of names) socket.leave(room) }, (ids) =>
      this.#membership.apply({ op: 'leave', sources: ids, rooms: names }))
  }

  /**
   * Every member of `sourceRoom` leaves all its rooms (it keeps its own id room).
   * @example
   * ```ts
   * await app.sockets.leaveAll('game:42')
   * ```
   */
  async leaveAll (sourceRoom: RoomName | SocketId): Promise<void> {
    const source = this.#registry.checkRoomOrSocket(sourceRoom)
    await this.#membership.apply({ op: 'leaveAll', sources: [source], rooms: [] })
  }

  /**
   * Every member of `sourceRoom` joins `destRooms`.
   * @example
   * ```ts
   * await app.sockets.addRoomMembersToRooms('team:1', ['game:42'])
   * ```
   */
  async addRoomMembersToRooms (sourceRoom: RoomName | SocketId, destRooms: RoomName | readonly RoomName[], options?: JoinOptions): Promise<void> {
    const source = this.#registry.checkRoomOrSocket(sourceRoom)
    const rooms = this.#registry.checkRooms(destRooms)
    this.#policy?.checkNames(rooms, options?.allowReserved === true)
    await this.#membership.apply({ op: 'join', sources: [source], rooms })
  }

  /**
   * Every member of `sourceRoom` leaves `destRooms`.
   * @example
   * ```ts
   * await app.sockets.removeRoomMembersFromRooms('team:1', 'game:42')
   * ```
   */
  async removeRoomMembersFromRooms (sourceRoom: RoomName | SocketId, destRooms: RoomName | readonly RoomName[]): Promise<void> {
    const source = this.#registry.checkRoomOrSocket(sourceRoom)
    const rooms = this.#registry.checkRooms(destRooms)
    await this.#membership.apply({ op: 'leave', sources: [source], rooms })
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
    const names = this.#registry.checkRoomsOrSockets(rooms)
    this.#registry.checkEvent(event, payload)
    let operator = this.#io.to(names)
    const except = this.#except(options)
    if (except !== undefined) operator = operator.except(except)
    operator.emit(event, payload)
  }

  /**
   * Sends `event` to every connected socket, except `options.except`.
   * @example
   * ```ts
   * app.sockets.blast('announcement', { text: 'maintenance at noon' })
   * ```
   */
  blast<E extends EventName> (event: E, payload: EventPayload<E>, options?: BroadcastOptions): void {
    this.#registry.checkEvent(event, payload)
    const except = this.#except(options)
    if (except !== undefined) this.#io.except(except).emit(event, payload)
    else this.#io.emit(event, payload)
  }

  /**
   * Sends `event` to one socket, on whichever node holds it.
   * @example
   * ```ts
   * app.sockets.emit(socketId, 'notice', { text: 'just for you' })
   * ```
   */
  emit<E extends EventName> (socketId: SocketId, event: E, payload: EventPayload<E>): void {
    const id = this.#registry.checkSocketId(socketId)
    this.#registry.checkEvent(event, payload)
    this.#io.to(id).emit(event, payload)
  }

  /**
   * Socket ids in a room (all nodes, with the cluster option).
   * @example
   * ```ts
   * const ids = await app.sockets.members('chat:lobby')
   * ```
   */
  async members (room: RoomName | SocketId): Promise<SocketId[]> {
    return await this.#membership.members(this.#registry.checkRoomOrSocket(room)) as SocketId[]
  }

  /**
   * Rooms a socket is in, without its own id room; an empty array when no socket has that id.
   * @example
   * ```ts
   * const rooms = await app.sockets.rooms(request)
   * ```
   */
  async rooms (target: FastifyRequest | SocketId): Promise<string[]> {
    const ids = this.#ids(target)
    const id = ids[0]
    if (ids.length !== 1 || id === undefined) throw new FST_SOCKETS_INVALID_TARGET('rooms() takes one socket')
    return (await this.#membership.rooms(id)) ?? []
  }

  /**
   * Disconnects sockets (on whichever node holds them).
   * @example
   * ```ts
   * await app.sockets.disconnect(socketId)
   * ```
   */
  async disconnect (target: SocketTarget): Promise<void> {
    await this.#eachTarget(target, (socket) => { socket.disconnect(true) }, (ids) =>
      this.#membership.apply({ op: 'disconnect', sources: ids, rooms: [] }))
  }

  /**
   * The event and room registry as plain JSON Schema: serve it to clients, or feed a code generator.
   * @example
   * ```ts
   * app.get('/sockets/schemas', async () => app.sockets.schemas())
   * ```
   */
  schemas (): RegistryJson {
    return this.#registry.schemas()
  }

  /** @internal the event registry, for features that push events of their own (resources) */
  get registry (): EventRegistry {
    return this.#registry
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
    if (this.#clients === undefined) throw new FST_SOCKETS_CONNECT_CLIENT('not available on this instance')
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
    this.#resources ??= new Resources(this)
    return this.#resources.get(identity, options)
  }

  // Sockets held here are changed directly (no cluster traffic); other ids go through the membership.
  async #eachTarget (target: SocketTarget, local: (socket: Socket) => void, remote: (ids: string[]) => Promise<void>): Promise<void> {
    const ids = this.#ids(target)
    const sockets = this.#io.of('/').sockets
    const elsewhere: string[] = []
    for (const id of ids) {
      const socket = sockets.get(id)
      if (socket !== undefined) local(socket)
      else elsewhere.push(id)
    }
    if (elsewhere.length > 0) await remote(elsewhere)
    else await this.#membership.settled?.()
  }

  #ids (target: unknown): string[] {
    const list = Array.isArray(target) ? target : [target]
    if (list.length === 0) throw new FST_SOCKETS_INVALID_TARGET('empty array')
    return list.map((item: unknown) => {
      if (typeof item === 'string') return this.#registry.checkSocketId(item)
      if (isRequest(item)) {
        const ctx = socketContextOf(item.raw)
        if (ctx === undefined) throw new FST_SOCKETS_NOT_SOCKET_REQUEST()
        return ctx.socket.id
      }
      throw new FST_SOCKETS_INVALID_TARGET(item === null ? 'null' : typeof item)
    })
  }

  #except (options: BroadcastOptions | undefined): string[] | undefined {
    const except = options?.except
    if (except === undefined) return undefined
    const list = Array.isArray(except) ? except : [except]
    return list.map((item: unknown) => {
      if (isRequest(item)) return socketContextOf(item.raw)?.socket.id ?? ''
      return this.#registry.checkRoomOrSocket(item)
    }).filter((room) => room !== '')
  }
}
