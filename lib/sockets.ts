import type { FastifyRequest } from 'fastify'
import type { Server, Socket } from 'socket.io'
import { socketContextOf } from './virtual-request.js'
import type { EventName, EventPayload, RoomName, EventRegistry } from './events.js'
import type { Membership } from './membership.js'
import type { ClusterHealth } from './cluster.js'
import { FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_NOT_SOCKET_REQUEST } from './errors.js'

/** A socket id (every socket is alone in a room named after its id). */
export type SocketId = string
/** Who an operation applies to: a socket request, a socket id, or an array of them. */
export type SocketTarget = FastifyRequest | SocketId | ReadonlyArray<FastifyRequest | SocketId>
/** Who a broadcast skips: a socket request, a socket id, a room, or an array of them. */
export type Except = FastifyRequest | SocketId | RoomName | ReadonlyArray<FastifyRequest | SocketId | RoomName>

export interface BroadcastOptions {
  /** Sockets that do not receive the message: a request (its socket), a socket id or a room. */
  except?: Except
}

function isRequest (value: unknown): value is FastifyRequest {
  return value !== null && typeof value === 'object' && 'raw' in value
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
  readonly #cluster: ClusterHealth | undefined

  /** @internal built by the plugin */
  constructor (io: Server, membership: Membership, registry: EventRegistry, cluster?: ClusterHealth) {
    this.#io = io
    this.#membership = membership
    this.#registry = registry
    this.#cluster = cluster
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
    return socketContextOf(request.raw)?.socket.id
  }

  /**
   * Adds sockets to one room or several.
   * @example
   * ```ts
   * app.get('/chat/join', async (request) => {
   *   await app.sockets.join(request, 'chat:lobby')
   *   return { joined: true }
   * })
   * ```
   * @throws FST_SOCKETS_NOT_SOCKET_REQUEST for an HTTP request, FST_SOCKETS_INVALID_TARGET, FST_SOCKETS_INVALID_ROOM
   */
  async join (target: SocketTarget, rooms: RoomName | readonly RoomName[]): Promise<void> {
    const names = this.#registry.checkRooms(rooms)
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
    const source = this.#registry.checkRoom(sourceRoom)
    await this.#membership.apply({ op: 'leaveAll', sources: [source], rooms: [] })
  }

  /**
   * Every member of `sourceRoom` joins `destRooms`.
   * @example
   * ```ts
   * await app.sockets.addRoomMembersToRooms('team:1', ['game:42'])
   * ```
   */
  async addRoomMembersToRooms (sourceRoom: RoomName | SocketId, destRooms: RoomName | readonly RoomName[]): Promise<void> {
    const source = this.#registry.checkRoom(sourceRoom)
    const rooms = this.#registry.checkRooms(destRooms)
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
    const source = this.#registry.checkRoom(sourceRoom)
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
    const names = this.#registry.checkRooms(rooms)
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
    const id = this.#registry.checkRoom(socketId)
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
    return this.#membership.members(this.#registry.checkRoom(room))
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
      if (typeof item === 'string') return this.#registry.checkRoom(item)
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
      return this.#registry.checkRoom(item)
    }).filter((room) => room !== '')
  }
}
