import type { FastifyRequest } from 'fastify'
import { Type, type TObject, type TSchema, type Static } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Sockets, SocketId, Except } from './sockets.js'
import {
  FST_SOCKETS_RESOURCE_OPTIONS_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID, FST_SOCKETS_RESOURCE_PAYLOAD_INVALID,
  FST_SOCKETS_INVALID_TARGET
} from './errors.js'
import { RESOURCE_ROOM_PREFIX } from './room-policy.js'
import { eventNameProblem } from './events.js'

/** A record's primary key value. `0` and `''`-free strings are valid (Sails drops a falsy id; we do not). */
export type RecordId = string | number

/** Any record: an object keyed by attribute name. */
export type AnyRecord = Record<string, unknown>

/** `{ verb: 'created', id, data }`: sent to the watchers of a resource (its class room). */
export interface CreatedMessage<R> { verb: 'created', id: RecordId, data: R }
/** `{ verb: 'updated', id, data, previous? }`: sent to the subscribers of the record. */
export interface UpdatedMessage<R> { verb: 'updated', id: RecordId, data: Partial<R>, previous?: R }
/** `{ verb: 'destroyed', id, previous? }`: sent to the subscribers of the record. */
export interface DestroyedMessage<R> { verb: 'destroyed', id: RecordId, previous?: R }
/** `{ verb: 'addedTo', id, attribute, addedId }`: one message per child, scalar `addedId` as on Sails' wire. */
export interface AddedToMessage<R> { verb: 'addedTo', id: RecordId, attribute: keyof R & string, addedId: RecordId }
/** `{ verb: 'removedFrom', id, attribute, removedId }`: one message per child, scalar `removedId`. */
export interface RemovedFromMessage<R> { verb: 'removedFrom', id: RecordId, attribute: keyof R & string, removedId: RecordId }

/**
 * Every message a resource pushes under its identity as event name (the Sails v1 shapes).
 *
 * @example
 * ```ts
 * socket.on('user', (msg: ResourceMessage<User>) => {
 *   if (msg.verb === 'updated') console.log(msg.id, msg.data, msg.previous)
 * })
 * ```
 */
export type ResourceMessage<R = AnyRecord> =
  | CreatedMessage<R> | UpdatedMessage<R> | DestroyedMessage<R> | AddedToMessage<R> | RemovedFromMessage<R>

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

// Resource rooms are the plugin's own names, outside any room patterns an app declares: the room
// methods are used through this string-typed view (and the prefix is allowed at run time, see Resources).
interface RoomMethods {
  join (target: SocketId, rooms: string | readonly string[], options: { allowReserved: true }): Promise<void>
  leave (target: SocketId, rooms: string | readonly string[]): Promise<void>
  addRoomMembersToRooms (sourceRoom: string, destRooms: string | readonly string[], options: { allowReserved: true }): Promise<void>
  removeRoomMembersFromRooms (sourceRoom: string, destRooms: string | readonly string[]): Promise<void>
  broadcast (rooms: string[], event: string, payload: unknown, options?: PublishOptions): void
}
// Resource rooms are reserved (reservedRoomPrefixes): a client-chosen name can never reach them, the
// resource's own subscriptions say they are the server's choice.
const SERVER_CHOSEN = { allowReserved: true } as const

const IDENTITY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
// Keeps every room name (`sails_model_<64>_<id>:<64>`) within the 256 characters a room may have.
const MAX_ID_LENGTH = 100
const KNOWN_OPTIONS = new Set(['primaryKey', 'schema'])

type PkKind = 'number' | 'integer' | 'string' | 'any'
const EXPECTED_ID: Record<PkKind, string> = {
  number: 'a finite number',
  integer: 'an integer',
  string: `a string of 1..${MAX_ID_LENGTH} characters`,
  any: `a finite number or a string of 1..${MAX_ID_LENGTH} characters`
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `'${value.slice(0, 64)}'`
  if (typeof value === 'number') return String(value)
  return typeof value
}

function pkKindOf (schema: TSchema | undefined): PkKind {
  const type = schema?.type
  if (type === 'integer') return 'integer'
  if (type === 'number') return 'number'
  if (type === 'string') return 'string'
  return 'any'
}

function firstError (check: TypeCheck<TSchema>, value: unknown): string {
  const error = check.Errors(value).First()
  return error === undefined ? 'does not match the schema' : `${error.path === '' ? '/' : error.path}: ${error.message}`
}

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

  readonly #sockets: Sockets
  readonly #roomOps: RoomMethods
  readonly #roomPrefix: string
  readonly #roomSuffix: string
  readonly #pkKind: PkKind
  readonly #checkPk: TypeCheck<TSchema> | undefined
  readonly #checkRecord: TypeCheck<TSchema> | undefined
  readonly #checkChanges: TypeCheck<TSchema> | undefined

  /** @internal use `fastify.sockets.resource()` */
  constructor (sockets: Sockets, identity: string, primaryKey: string, schema: TObject | undefined) {
    this.#sockets = sockets
    this.#roomOps = sockets as unknown as RoomMethods
    this.identity = identity
    this.primaryKey = primaryKey
    this.schema = schema
    this.watchRoom = `sails_model_create_${identity}`
    this.#roomPrefix = `sails_model_${identity}_`
    this.#roomSuffix = `:${identity}`
    const pkSchema = schema?.properties[primaryKey]
    this.#pkKind = pkKindOf(pkSchema)
    // Compiled once here; each publish costs one check, never one per recipient.
    this.#checkPk = pkSchema === undefined ? undefined : TypeCompiler.Compile(pkSchema)
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
    return this.#roomPrefix + String(this.#id(id)) + this.#roomSuffix
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
  async subscribe (target: SubscribeTarget, ids: RecordId | readonly RecordId[]): Promise<void> {
    const socket = this.#socketOf(target)
    if (socket === undefined) return // an HTTP request: nothing to build for it
    const rooms = this.#rooms(ids)
    if (rooms.length === 0) return
    await this.#roomOps.join(socket, rooms, SERVER_CHOSEN)
  }

  /**
   * Unsubscribes a socket from records. An HTTP request is a no-op.
   * @example
   * ```ts
   * await users.unsubscribe(request, 7)
   * ```
   */
  async unsubscribe (target: SubscribeTarget, ids: RecordId | readonly RecordId[]): Promise<void> {
    const socket = this.#socketOf(target)
    if (socket === undefined) return // an HTTP request: nothing to build for it
    const rooms = this.#rooms(ids)
    if (rooms.length === 0) return
    await this.#roomOps.leave(socket, rooms)
  }

  /**
   * Makes a socket a watcher: it hears `created` and is subscribed to every record created from then on.
   * An HTTP request is a no-op.
   * @example
   * ```ts
   * await users.watch(request)
   * ```
   */
  async watch (target: SubscribeTarget): Promise<void> {
    const socket = this.#socketOf(target)
    if (socket !== undefined) await this.#roomOps.join(socket, this.watchRoom, SERVER_CHOSEN)
  }

  /**
   * Stops a socket from watching the resource (records it is subscribed to stay subscribed).
   * @example
   * ```ts
   * await users.unwatch(request)
   * ```
   */
  async unwatch (target: SubscribeTarget): Promise<void> {
    const socket = this.#socketOf(target)
    if (socket !== undefined) await this.#roomOps.leave(socket, this.watchRoom)
  }

  /**
   * Sends `data` as is (no envelope, as Sails v1 `publish`) to the subscribers of the records, under the
   * identity as event name. A socket subscribed to several of the ids gets the message once.
   * @example
   * ```ts
   * await users.publish([1, 2], { verb: 'typing', by: 3 }, { except: request })
   * ```
   */
  async publish (ids: RecordId | readonly RecordId[], data: unknown, options?: PublishOptions): Promise<void> {
    const rooms = this.#rooms(ids)
    if (rooms.length === 0) return
    this.#send(rooms, data, options?.except)
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
  async publishCreate (record: R, options?: PublishOptions): Promise<void> {
    this.#check(this.#checkRecord, 'created', record)
    const id = this.#id((record as AnyRecord)[this.primaryKey])
    const message: CreatedMessage<R> = { verb: 'created', id, data: record }
    this.#send([this.watchRoom], message, options?.except)
    await this.#roomOps.addRoomMembersToRooms(this.watchRoom, this.getRoomName(id), SERVER_CHOSEN)
  }

  /**
   * Tells the subscribers of a record what changed (`{ verb: 'updated', id, data, previous? }`).
   * @example
   * ```ts
   * await users.publishUpdate(7, { name: 'max' }, { previous, except: request })
   * ```
   * @throws FST_SOCKETS_RESOURCE_PAYLOAD_INVALID, FST_SOCKETS_RESOURCE_ID_INVALID (nothing is sent)
   */
  async publishUpdate (id: RecordId, changes: Partial<R>, options?: PublishChangeOptions<R>): Promise<void> {
    const recordId = this.#id(id)
    this.#check(this.#checkChanges, 'updated', changes)
    const message: UpdatedMessage<R> = { verb: 'updated', id: recordId, data: changes }
    if (options?.previous !== undefined) {
      this.#check(this.#checkRecord, 'updated previous', options.previous)
      message.previous = options.previous
    }
    this.#send([this.getRoomName(recordId)], message, options?.except)
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
  async publishDestroy (id: RecordId, options?: PublishChangeOptions<R>): Promise<void> {
    const recordId = this.#id(id)
    const message: DestroyedMessage<R> = { verb: 'destroyed', id: recordId }
    if (options?.previous !== undefined) {
      this.#check(this.#checkRecord, 'destroyed previous', options.previous)
      message.previous = options.previous
    }
    const room = this.getRoomName(recordId)
    this.#send([room], message, options?.except)
    await this.#roomOps.removeRoomMembersFromRooms(room, room)
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
  async publishAdd (id: RecordId, attribute: keyof R & string, addedId: RecordId, options?: PublishOptions): Promise<void> {
    const recordId = this.#id(id)
    const message: AddedToMessage<R> = { verb: 'addedTo', id: recordId, attribute: this.#attribute(attribute, 'addedTo'), addedId: this.#childId(addedId, 'addedTo') }
    this.#send([this.getRoomName(recordId)], message, options?.except)
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
  async publishRemove (id: RecordId, attribute: keyof R & string, removedId: RecordId, options?: PublishOptions): Promise<void> {
    const recordId = this.#id(id)
    const message: RemovedFromMessage<R> = { verb: 'removedFrom', id: recordId, attribute: this.#attribute(attribute, 'removedFrom'), removedId: this.#childId(removedId, 'removedFrom') }
    this.#send([this.getRoomName(recordId)], message, options?.except)
  }

  // Goes through fastify.sockets.broadcast: room checks, `except` handling and any registry validation
  // of the identity's event apply as for every other push.
  #send (rooms: string[], message: unknown, except: Except | undefined): void {
    this.#roomOps.broadcast(rooms, this.identity, message, except === undefined ? undefined : { except })
  }

  #check (check: TypeCheck<TSchema> | undefined, what: string, value: unknown): void {
    if (check !== undefined && !check.Check(value)) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.identity, what, firstError(check, value))
    }
  }

  #socketOf (target: SubscribeTarget): SocketId | undefined {
    if (typeof target === 'string') return target
    if (target === null || typeof target !== 'object' || !('raw' in target)) {
      throw new FST_SOCKETS_INVALID_TARGET(`${describe(target)} (expected a request or a socket id)`)
    }
    return this.#sockets.getId(target)
  }

  #rooms (ids: RecordId | readonly RecordId[]): string[] {
    if (!Array.isArray(ids)) return [this.getRoomName(ids as RecordId)]
    return ids.map((id: RecordId) => this.getRoomName(id))
  }

  // Ids are coerced to the primary key's type (Sails does the same), so `'7'` from a URL and `7` from
  // the store name one room and reach clients as the same value.
  #id (id: unknown): RecordId {
    let value = id
    if (this.#pkKind === 'string' && typeof value === 'number') value = String(value)
    else if ((this.#pkKind === 'number' || this.#pkKind === 'integer') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) value = Number(value)
    const valid = typeof value === 'string'
      ? value.length > 0 && value.length <= MAX_ID_LENGTH
      : typeof value === 'number' && Number.isFinite(value)
    if (!valid || (this.#checkPk !== undefined && !this.#checkPk.Check(value))) {
      throw new FST_SOCKETS_RESOURCE_ID_INVALID(this.identity, `${describe(id)} (expected ${EXPECTED_ID[this.#pkKind]}${this.#checkPk === undefined ? '' : ' matching the primary key\'s schema'})`)
    }
    return value as RecordId
  }

  #childId (id: unknown, verb: string): RecordId {
    const valid = typeof id === 'string'
      ? id.length > 0 && id.length <= MAX_ID_LENGTH
      : typeof id === 'number' && Number.isFinite(id)
    if (!valid) throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.identity, verb, `child id ${describe(id)} is not a finite number or a string of 1..${MAX_ID_LENGTH} characters`)
    return id as RecordId
  }

  #attribute (attribute: unknown, verb: string): keyof R & string {
    if (typeof attribute !== 'string' || attribute.length === 0 || attribute.length > 128) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.identity, verb, `attribute ${describe(attribute)} is not a non-empty string`)
    }
    if (this.schema !== undefined && !Object.hasOwn(this.schema.properties, attribute)) {
      throw new FST_SOCKETS_RESOURCE_PAYLOAD_INVALID(this.identity, verb, `attribute '${attribute.slice(0, 64)}' is not in the schema`)
    }
    return attribute as keyof R & string
  }
}

function isObjectSchema (value: unknown): value is TObject {
  if (value === null || typeof value !== 'object') return false
  const schema = value as Record<string, unknown>
  return schema.type === 'object' && schema.properties !== null && typeof schema.properties === 'object'
}

/**
 * The resources of one `fastify.sockets`: one Resource per identity, created on first use.
 * @internal
 */
export class Resources {
  readonly #sockets: Sockets
  readonly #byIdentity = new Map<string, Resource<object>>()

  constructor (sockets: Sockets) {
    this.#sockets = sockets
    sockets.registry.allowRoomPrefix(RESOURCE_ROOM_PREFIX)
  }

  get (identity: unknown, options: unknown): Resource<object> {
    if (typeof identity !== 'string' || !IDENTITY.test(identity) || eventNameProblem(identity) !== undefined) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`identity ${describe(identity)} must match ${IDENTITY.source} and not be a reserved socket.io event`)
    }
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`options of '${identity}' must be an object`)
    }
    const opts = (options ?? {}) as Record<string, unknown>
    for (const key of Object.keys(opts)) {
      if (!KNOWN_OPTIONS.has(key)) throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`unknown option '${key.slice(0, 64)}' of '${identity}'`)
    }
    const existing = this.#byIdentity.get(identity)
    if (existing !== undefined) {
      // Asking again gives the same resource, as long as every option given matches the first call's.
      if ((opts.primaryKey === undefined || opts.primaryKey === existing.primaryKey) &&
        (opts.schema === undefined || opts.schema === existing.schema)) return existing
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`'${identity}' already exists with other options (primaryKey '${existing.primaryKey}'${existing.schema === undefined ? ', no schema' : ', another schema'})`)
    }
    const primaryKey = opts.primaryKey ?? 'id'
    if (typeof primaryKey !== 'string' || primaryKey.length === 0 || primaryKey.length > 128) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`primaryKey of '${identity}' must be a non-empty string`)
    }
    const schema = opts.schema
    if (schema !== undefined) {
      if (!isObjectSchema(schema)) throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' must be a TypeBox object schema (Type.Object)`)
      if (!Object.hasOwn(schema.properties, primaryKey)) {
        throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' has no property '${primaryKey}' (its primaryKey)`)
      }
    }
    let resource: Resource<object>
    try {
      resource = new Resource<object>(this.#sockets, identity, primaryKey, schema as TObject | undefined)
    } catch (err) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' does not compile: ${(err as Error)?.message ?? String(err)}`)
    }
    this.#byIdentity.set(identity, resource)
    return resource
  }
}

/** The record type of a resource: `Static<S>` with a schema, else `R`. */
export type ResourceRecord<S extends TObject | undefined, R extends object = AnyRecord> = S extends TObject ? Static<S> : R

/**
 * A TypeBox schema of the messages a resource with this record schema sends, for declaring the identity
 * as a typed event (so clients' `on('<identity>')` are typed) or for checking messages in a client.
 * `publish()` sends free-form data that this union does not cover; don't declare it for identities you `publish` on.
 *
 * @example
 * ```ts
 * const UserMessage = resourceMessages(User)
 * declare module 'fastify-sockets' {
 *   interface SocketEvents { user: typeof UserMessage }
 * }
 * ```
 */
export function resourceMessages<S extends TObject> (schema: S) {
  const Id = Type.Union([Type.String(), Type.Number()])
  return Type.Union([
    Type.Object({ verb: Type.Literal('created'), id: Id, data: schema }),
    Type.Object({ verb: Type.Literal('updated'), id: Id, data: Type.Partial(schema), previous: Type.Optional(schema) }),
    Type.Object({ verb: Type.Literal('destroyed'), id: Id, previous: Type.Optional(schema) }),
    Type.Object({ verb: Type.Literal('addedTo'), id: Id, attribute: Type.String(), addedId: Id }),
    Type.Object({ verb: Type.Literal('removedFrom'), id: Id, attribute: Type.String(), removedId: Id })
  ])
}
