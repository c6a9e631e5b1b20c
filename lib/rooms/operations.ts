import type { FastifyRequest } from 'fastify'
import type { Server } from 'socket.io'
import type { Membership } from '../membership/membership.js'
import { socketContextOf } from '../virtual-request/context.js'
import { FST_SOCKETS_INVALID_TARGET } from '../errors.js'
import type { EventRegistry } from './registry.js'
import type { RoomRules } from './rules.js'
import type { UnawaitedRejections } from '../common/unawaited.js'

// What fastify.sockets does, string-typed: check every rule first, then apply. The public facade
// (sockets.ts) adds the types and the docs; resources use these directly for their own room names.

/** The room operations of one registration. */
export class RoomOperations {
  readonly #io: Server
  readonly #membership: Membership
  readonly #rules: RoomRules
  readonly #registry: EventRegistry
  readonly #unawaited: UnawaitedRejections

  constructor (io: Server, membership: Membership, rules: RoomRules, registry: EventRegistry, unawaited: UnawaitedRejections) {
    this.#io = io
    this.#membership = membership
    this.#rules = rules
    this.#registry = registry
    this.#unawaited = unawaited
  }

  /** What the public methods return: `work`'s outcome, logged instead of unhandled when nobody awaits it. */
  watched<T> (work: () => T | Promise<T>): Promise<T> {
    return this.#unawaited.watch(work)
  }

  getId (request: FastifyRequest): string | undefined {
    if (request === null || typeof request !== 'object' || !('raw' in request)) return undefined
    return socketContextOf(request.raw)?.socket.id
  }

  /** Check, then apply: synchronous (undefined) unless a join guard or the cluster makes it a promise. */
  join (target: unknown, rooms: unknown, serverChosen: boolean): Promise<void> | undefined {
    const checked = this.#rules.checkJoin(target, rooms, serverChosen)
    // a join guard made it a promise: applied once it allowed; otherwise before this call returns
    if (checked instanceof Promise) return checked.then((plan) => this.#membership.apply({ op: 'join', sources: plan.ids, rooms: plan.rooms }))
    return this.#membership.apply({ op: 'join', sources: checked.ids, rooms: checked.rooms })
  }

  leave (target: unknown, rooms: unknown): Promise<void> | undefined {
    const names = this.#rules.rooms(rooms, 'address')
    const { ids } = this.#rules.targets(target)
    return this.#membership.apply({ op: 'leave', sources: ids, rooms: names })
  }

  async leaveAll (sourceRoom: unknown): Promise<void> {
    const source = this.#rules.roomOrSocket(sourceRoom)
    await this.#membership.apply({ op: 'leaveAll', sources: [source], rooms: [] })
  }

  async addRoomMembersToRooms (sourceRoom: unknown, destRooms: unknown, serverChosen: boolean): Promise<void> {
    const source = this.#rules.roomOrSocket(sourceRoom)
    const rooms = this.#rules.rooms(destRooms, serverChosen ? 'join-reserved' : 'join')
    await this.#membership.apply({ op: 'join', sources: [source], rooms })
  }

  async removeRoomMembersFromRooms (sourceRoom: unknown, destRooms: unknown): Promise<void> {
    const source = this.#rules.roomOrSocket(sourceRoom)
    const rooms = this.#rules.rooms(destRooms, 'address')
    await this.#membership.apply({ op: 'leave', sources: [source], rooms })
  }

  async disconnect (target: unknown): Promise<void> {
    const { ids } = this.#rules.targets(target)
    await this.#membership.apply({ op: 'disconnect', sources: ids, rooms: [] })
  }

  async members (room: unknown): Promise<string[]> {
    return await this.#membership.members(this.#rules.roomOrSocket(room))
  }

  async rooms (target: unknown): Promise<string[]> {
    const { ids } = this.#rules.targets(target)
    const id = ids[0]
    if (ids.length !== 1 || id === undefined) throw new FST_SOCKETS_INVALID_TARGET('rooms() takes one socket')
    return (await this.#membership.rooms(id)) ?? []
  }

  broadcast (rooms: unknown, event: unknown, payload: unknown, except: unknown): void {
    const names = this.#rules.roomsOrSockets(rooms)
    this.#registry.checkEvent(event, payload)
    const skip = this.#rules.except(except)
    let operator = this.#io.to(names)
    if (skip !== undefined) operator = operator.except(skip)
    operator.emit(event as string, payload)
  }

  blast (event: unknown, payload: unknown, except: unknown): void {
    this.#registry.checkEvent(event, payload)
    const skip = this.#rules.except(except)
    if (skip !== undefined) this.#io.except(skip).emit(event as string, payload)
    else this.#io.emit(event as string, payload)
  }

  emit (socketId: unknown, event: unknown, payload: unknown): void {
    const id = this.#rules.socketId(socketId)
    this.#registry.checkEvent(event, payload)
    this.#io.to(id).emit(event as string, payload)
  }

  /** Room names starting with `prefix` skip the declared patterns (the plugin's own rooms). */
  allowRoomPrefix (prefix: string): void {
    this.#rules.allowPrefix(prefix)
  }
}
