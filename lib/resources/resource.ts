import type { FastifyRequest } from 'fastify'
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_INVALID_TARGET } from '../errors.js'
import { describe, firstSchemaError } from '../common/values.js'
import type { Except, SocketId } from '../rooms/declarations.js'
import type {
  AnyRecord, RecordId, CreatedMessage, UpdatedMessage, DestroyedMessage, AddedToMessage, RemovedFromMessage
} from './messages.js'
import { RecordIds } from './ids.js'

/**
 * What a resource needs of the rooms, string-typed: resource rooms are the plugin's own names, outside
 * any room patterns an app declares. The plugin wiring hands the rooms' operations in.
 */
export interface RoomOps {
  /** undefined: applied already (one process); a promise: once applied everywhere */
  join (target: string, rooms: string | readonly string[], serverChosen: boolean): Promise<void> | undefined
  leave (target: string, rooms: string | readonly string[]): Promise<void> | undefined
  addRoomMembersToRooms (sourceRoom: string, destRooms: string | readonly string[], serverChosen: boolean): Promise<void>
  removeRoomMembersFromRooms (sourceRoom: string, destRooms: string | readonly string[]): Promise<void>
  broadcast (rooms: readonly string[], event: string, payload: unknown, except: unknown): void
  getId (request: FastifyRequest): string | undefined
  /** `work`'s outcome, logged instead of unhandled when nobody awaits it. */
  watched<T> (work: () => Promise<T>): Promise<T>
}

// Resource rooms are reserved: a client-chosen name can never reach them; the resource's own
// subscriptions say they are the server's choice.
const SERVER_CHOSEN = true

/** Options of `fastify.sockets.resource()`. */
export interface ResourceOptions<S extends TObject | undefined = TObject | undefined> {
  /**
   * Attribute holding the record's id.
   * @default 'id'
   */
  primaryKey?: string
  /**
   * TypeBox object schema of a record. When given, every published record, change set and `previous` is
   * checked against it (compiled once) and ids are coerced to the primary key's type, as Sails does.
   */
  schema?: S
}

/** Who a publish skips: the requesting socket is skipped only when you pass it (`except: request`). */
export interface PublishOptions {
  /** Sockets that do not receive the message: a request (its socket; an HTTP request skips nobody), a socket id or a room. */
  except?: Except
}

/** Options of `publishUpdate` and `publishDestroy`. */
export interface PublishChangeOptions<R> extends PublishOptions {
  /** The record as it was before the change; sent as `previous`. */
  previous?: R
}

/** Who subscribes: a socket request (an HTTP request is a no-op, as in Sails) or a socket id. */
export type SubscribeTarget = FastifyRequest | SocketId

/**
 * Resourceful pub-sub for one kind of record (Sails v1 model pub-sub): sockets subscribe to records
 * and watch the resource; publishes reach them under the identity as event name.
 *
 * Rooms keep Sails' names, so a Sails-era deployment's room names stay meaningful:
 * `sails_model_<identity>_<id>:<identity>` per record and `sails_model_create_<identity>` for watchers.
 * Every membership change goes through `fastify.sockets` (cluster-wide once clustering is on).
 *
 * @example
 * ```ts
 * const users = app.sockets.resource('user', { schema: User })
 * app.get('/user/:id', async (request) => {
 *   const user = await db.find(request.params.id)
 *   await users.subscribe(request, user.id)
 *   return user
 * })
 * app.patch('/user/:id', async (request) => {
 *   const previous = await db.find(request.params.id)
 *   const user = await db.update(request.params.id, request.body)
 *   await users.publishUpdate(user.id, request.body, { previous, except: request })
 *   return user
 * })
 * ```
 */
export class Resource<R extends object = AnyRecord> {
  /** The identity: the event name of every message and part of every room name. */
  readonly identity: string
  /** The attribute holding a record's id. */
  readonly primaryKey: string
  /** The room of the watchers (sockets that hear about creations): `sails_model_create_<identity>`. */
  readonly watchRoom: string
  /** The schema given at creation, if any. */
  readonly schema: TObject | undefined

  readonly #ops: RoomOps
  readonly #roomPrefix: string
  readonly #roomSuffix: string
  readonly #ids: RecordIds
  readonly #checkRecord: TypeCheck<TSchema> | undefined
  readonly #checkChanges: TypeCheck<TSchema> | undefined

  /** @internal use `fastify.sockets.resource()` */
  constructor (rooms: RoomOps, identity: string, primaryKey: string, schema: TObject | undefined) {
    this.#ops = rooms
    this.identity = identity
    this.primaryKey = primaryKey
    this.schema = schema
    this.watchRoom = `sails_model_create_${identity}`
    this.#roomPrefix = `sails_model_${identity}_`
    this.#roomSuffix = `:${identity}`
    const pkSchema = schema?.properties[primaryKey]
    // Compiled once here; each publish costs one check, never one per recipient.
    this.#ids = new RecordIds(identity, pkSchema, schema)
    this.#checkRecord = schema === undefined ? undefined : TypeCompiler.Compile(schema)
    this.#checkChanges = schema === undefined ? undefined : TypeCompiler.Compile(Type.Partial(schema))
  }

  /**
   * The room of one record: `sails_model_<identity>_<id>:<identity>`. Unlike Sails, an id of 0 has a room.
   * @example
   * ```ts
   * app.sockets.broadcast(users.getRoomName(7), 'user', { verb: 'custom' })
   * ```
   * @throws FST_SOCKETS_RESOURCE_ID_INVALID
   */
  getRoomName (id: RecordId): string {
    return this.#roomPrefix + String(this.#ids.id(id)) + this.#roomSuffix
  }

  /**
   * Subscribes a socket to records: it hears their updates, destructions and association changes.
   * An HTTP request is a no-op (as in Sails), so routes can call it unconditionally.
   * @example
   * ```ts
   * const found = await store.find()
   * await users.subscribe(request, found.map((user) => user.id))
   * ```
   */
  subscribe (target: SubscribeTarget, ids: RecordId | readonly RecordId[]): Promise<void> {
    return this.#ops.watched(async () => {
      const socket = this.#socketOf(target)
      if (socket === undefined) return // an HTTP request: nothing to build for it
      const rooms = this.#rooms(ids)
      if (rooms.length === 0) return
      await this.#ops.join(socket, rooms, SERVER_CHOSEN)
    })
  }

  /**
   * Unsubscribes a socket from records. An HTTP request is a no-op.
   * @example
   * ```ts
   * await users.unsubscribe(request, 7)
   * ```
   */
  unsubscribe (target: SubscribeTarget, ids: RecordId | readonly RecordId[]): Promise<void> {
    return this.#ops.watched(async () => {
      const socket = this.#socketOf(target)
      if (socket === undefined) return // an HTTP request: nothing to build for it
      const rooms = this.#rooms(ids)
      if (rooms.length === 0) return
      await this.#ops.leave(socket, rooms)
    })
  }

  /**
   * Makes a socket a watcher: it hears `created` and is subscribed to every record created from then on.
   * An HTTP request is a no-op.
   * @example
   * ```ts
   * await users.watch(request)
   * ```
   */
  watch (target: SubscribeTarget): Promise<void> {
    return this.#ops.watched(async () => {
      const socket = this.#socketOf(target)
      if (socket !== undefined) await this.#ops.join(socket, this.watchRoom, SERVER_CHOSEN)
    })
  }

  /**
   * Stops a socket from watching the resource (records it is subscribed to stay subscribed).
   * @example
   * ```ts
   * await users.unwatch(request)
   * ```
   */
  unwatch (target: SubscribeTarget): Promise<void> {
    return this.#ops.watched(async () => {
      const socket = this.#socketOf(target)
      if (socket !== undefined) await this.#ops.leave(socket, this.watchRoom)
    })
  }

  /**
   * Sends `data` as is (no envelope, as Sails v1 `publish`) to the subscribers of the records, under the
   * identity as event name. A socket subscribed to several of the ids gets the message once.
   * @example
   * ```ts
   * await users.publish([1, 2], { verb: 'typing', by: 3 }, { except: request })
   * ```
   */
  publish (ids: RecordId | readonly RecordId[], data: unknown, options?: PublishOptions): Promise<void> {
    return this.#ops.watched(async () => {
      const rooms = this.#rooms(ids)
      if (rooms.length === 0) return
      this.#send(rooms, data, options?.except)
    })
  }

  /**
   * Announces a new record to the watchers (`{ verb: 'created', id, data }`), then subscribes every watcher
   * to it. Pass `except: request` to skip the socket that created it.
   * @example
   * ```ts
   * const user = await store.create(request.body)
   * await users.publishCreate(user, { except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  publishCreate (record: R, options?: PublishOptions): Promise<void> {
    return this.#ops.watched(async () => {
      this.#check(this.#checkRecord, 'created', record)
      const id = this.#ids.id((record as AnyRecord)[this.primaryKey])
      const message: CreatedMessage<R> = { verb: 'created', id, data: record }
      this.#send([this.watchRoom], message, options?.except)
      await this.#ops.addRoomMembersToRooms(this.watchRoom, this.getRoomName(id), SERVER_CHOSEN)
    })
  }

  /**
   * Tells the subscribers of a record what changed (`{ verb: 'updated', id, data, previous? }`).
   * @example
   * ```ts
   * await users.publishUpdate(7, { name: 'max' }, { previous, except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  publishUpdate (id: RecordId, changes: Partial<R>, options?: PublishChangeOptions<R>): Promise<void> {
    return this.#ops.watched(async () => {
      const recordId = this.#ids.id(id)
      this.#check(this.#checkChanges, 'updated', changes)
      const message: UpdatedMessage<R> = { verb: 'updated', id: recordId, data: changes }
      if (options?.previous !== undefined) {
        this.#check(this.#checkRecord, 'updated previous', options.previous)
        message.previous = options.previous
      }
      this.#send([this.getRoomName(recordId)], message, options?.except)
    })
  }

  /**
   * Tells the subscribers of a record that it is gone (`{ verb: 'destroyed', id, previous? }`), then empties
   * the record's room: nobody stays subscribed to a record that no longer exists (Sails only removes the
   * watchers, leaving other subscribers behind).
   * @example
   * ```ts
   * const gone = await store.destroy(7)
   * await users.publishDestroy(7, { previous: gone, except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  publishDestroy (id: RecordId, options?: PublishChangeOptions<R>): Promise<void> {
    return this.#ops.watched(async () => {
      const recordId = this.#ids.id(id)
      const message: DestroyedMessage<R> = { verb: 'destroyed', id: recordId }
      if (options?.previous !== undefined) {
        this.#check(this.#checkRecord, 'destroyed previous', options.previous)
        message.previous = options.previous
      }
      const room = this.getRoomName(recordId)
      this.#send([room], message, options?.except)
      await this.#ops.removeRoomMembersFromRooms(room, room)
    })
  }

  /**
   * Tells the subscribers of a record that a child joined one of its collections
   * (`{ verb: 'addedTo', id, attribute, addedId }`, one message per child, as on Sails' wire).
   * @example
   * ```ts
   * await users.publishAdd(1, 'pets', 12, { except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  publishAdd (id: RecordId, attribute: keyof R & string, addedId: RecordId, options?: PublishOptions): Promise<void> {
    return this.#ops.watched(async () => {
      const recordId = this.#ids.id(id)
      const message: AddedToMessage<R> = { verb: 'addedTo', id: recordId, attribute: this.#ids.attribute(attribute, 'addedTo'), addedId: this.#ids.child(addedId, 'addedTo') }
      this.#send([this.getRoomName(recordId)], message, options?.except)
    })
  }

  /**
   * Tells the subscribers of a record that a child left one of its collections
   * (`{ verb: 'removedFrom', id, attribute, removedId }`).
   * @example
   * ```ts
   * await users.publishRemove(1, 'pets', 12, { except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  publishRemove (id: RecordId, attribute: keyof R & string, removedId: RecordId, options?: PublishOptions): Promise<void> {
    return this.#ops.watched(async () => {
      const recordId = this.#ids.id(id)
      const message: RemovedFromMessage<R> = { verb: 'removedFrom', id: recordId, attribute: this.#ids.attribute(attribute, 'removedFrom'), removedId: this.#ids.child(removedId, 'removedFrom') }
      this.#send([this.getRoomName(recordId)], message, options?.except)
    })
  }

  // Goes through fastify.sockets.broadcast: room checks, `except` handling and any registry validation
  // of the identity's event apply as for every other push.
  #send (rooms: string[], message: unknown, except: Except | undefined): void {
    this.#ops.broadcast(rooms, this.identity, message, except)
  }

  #check (check: TypeCheck<TSchema> | undefined, what: string, value: unknown): void {
    if (check !== undefined && !check.Check(value)) {
      const { path, message } = firstSchemaError(check, value)
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.identity, what, `${path}: ${message}`)
    }
  }

  #socketOf (target: SubscribeTarget): string | undefined {
    if (typeof target === 'string') return target
    if (target === null || typeof target !== 'object' || !('raw' in target)) {
      throw new FST_SOCKETS_INVALID_TARGET(`${describe(target)} (expected a request or a socket id)`)
    }
    return this.#ops.getId(target)
  }

  #rooms (ids: RecordId | readonly RecordId[]): string[] {
    if (!Array.isArray(ids)) return [this.getRoomName(ids as RecordId)]
    return ids.map((id: RecordId) => this.getRoomName(id))
  }
}
