import type { FastifyRequest } from 'fastify'
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import {
  FST_SOCKETS_INVALID_EVENT, FST_SOCKETS_INVALID_ROOM, FST_SOCKETS_OPTIONS_INVALID,
  FST_SOCKETS_INVALID_PAYLOAD, FST_SOCKETS_UNDECLARED_EVENT, FST_SOCKETS_UNDECLARED_ROOM, FST_SOCKETS_JOIN_REFUSED
} from './errors.js'
import { paramReader, type ParamReader } from './room-patterns.js'
import { looksLikeSocketId } from './socket-id.js'
import { isPlainObject } from './packet.js'

// ---------------------------------------------------------------------------------------------
// Compile-time registry
// ---------------------------------------------------------------------------------------------

/**
 * Server-to-client events of your app: event name -> TypeBox schema type. Declare it once by
 * declaration merging; every emitting surface is then typed by it, and the plugin's `events`
 * option must hold a matching runtime schema for each entry.
 *
 * @example
 * ```ts
 * const Hello = Type.Object({ howdy: Type.String() })
 * declare module 'fastify-sockets' {
 *   interface SocketEvents { hello: typeof Hello }
 * }
 * await app.register(fastifySockets, { events: { hello: Hello } })
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SocketEvents {}

/**
 * Room names of your app: label -> room name type (template literals such as `chat:${string}`,
 * `org:${number}`, or fixed names). The plugin's `rooms` option must hold a matching TypeBox
 * pattern for each entry.
 *
 * @example
 * ```ts
 * declare module 'fastify-sockets' {
 *   interface SocketRooms { chat: `chat:${string}`, fun: 'funSockets' }
 * }
 * await app.register(fastifySockets, {
 *   rooms: { chat: Type.TemplateLiteral('chat:${string}'), fun: Type.Literal('funSockets') }
 * })
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SocketRooms {}

type NoEvents = [keyof SocketEvents] extends [never] ? true : false
type NoRooms = [keyof SocketRooms] extends [never] ? true : false

/** A declared event name; `string` when nothing is declared. */
export type EventName = NoEvents extends true ? string : keyof SocketEvents & string
/** The payload type of an event; `unknown` when nothing is declared. */
// `Static<>` over a generic key hits TS2589; inferring `static` does not.
export type EventPayload<E extends string> = NoEvents extends true
  ? unknown
  : E extends keyof SocketEvents ? (SocketEvents[E] extends { static: infer P } ? P : never) : never
/** A room name matching a declared pattern; `string` when nothing is declared. */
export type RoomName = NoRooms extends true ? string : SocketRooms[keyof SocketRooms] & string

declare const kSocketIdBrand: unique symbol
/**
 * A socket id (every socket is alone in a room named after its id). A plain `string` when no room
 * is declared; once rooms are declared it is branded, so a mistyped room name cannot pass as a
 * socket id. Ids come from `getId(request)` and `members(room)`; cast others with `id as SocketId`.
 */
export type SocketId = NoRooms extends true ? string : string & { readonly [kSocketIdBrand]: true }

/** Every declared event name mapped to its payload type (what a client listens to). */
export type SocketEventMap = { [E in EventName]: EventPayload<E> }
/** Listener map for socket.io-client's generic `Socket<ListenEvents>`: `socket.on(event, (payload) => ...)` is typed. */
export type SocketListenEvents = { [E in EventName]: (payload: EventPayload<E>) => void }

// One placeholder of a room name type: `${string}` -> string, `${number}` / `${bigint}` -> number
// (the runtime pattern of both is the same non-negative integer).
type Placeholder<C> = string extends C
  ? string
  : C extends `${number}` ? (`${number}` extends C ? number : never)
    : C extends `${bigint}` ? (`${bigint}` extends C ? number : never) : never
type ParseParams<N extends string, Acc extends unknown[]> = string extends N
  ? [...Acc, string]
  : N extends `${infer C}${infer R}`
    ? ([Placeholder<C>] extends [never] ? ParseParams<R, Acc> : ParseParams<R, [...Acc, Placeholder<C>]>)
    : Acc
/**
 * The parameters of a room name type, in order: the values of its `${string}` and `${number}`
 * placeholders (`org:${number}:team:${string}` -> `[number, string]`, `'funSockets'` -> `[]`);
 * `unknown[]` for a room type that is just `string` (nothing declared).
 */
export type RoomParams<N extends string> = string extends N ? unknown[] : N extends string ? ParseParams<N, []> : never

/**
 * Decides whether the socket making `request` may join `room`: return `true` to allow, anything
 * else (or throw) to refuse. `params` are the room's placeholder values.
 */
export type JoinGuard<N extends string = string> = (request: FastifyRequest, params: RoomParams<N>, room: N) => boolean | Promise<boolean>

/** A TypeBox schema whose static type is `T` (a room pattern of room name type `T`). */
export type SchemaOf<T> = TSchema & { static: T }

/** A room pattern with a join guard. */
export interface RoomSpec<N extends string = string> {
  /** TypeBox schema of the names: `Type.TemplateLiteral('chat:${string}')`, `Type.Literal('lobby')`, a union of them. */
  pattern: SchemaOf<N>
  /**
   * Runs when a socket request joins a room of this pattern (`fastify.sockets.join(request, room)`):
   * `true` allows, anything else (or a throw) refuses.
   */
  // Method syntax on purpose: a guard typed for `game:${number}` must fit the undeclared `rooms` option.
  join? (request: FastifyRequest, params: RoomParams<N>, room: N): boolean | Promise<boolean>
}

/** A room declaration: the pattern schema alone, or `{ pattern, join }`. */
export type RoomDeclaration<N extends string = string> = SchemaOf<N> | RoomSpec<N>

/**
 * A room pattern with its join guard, the guard's parameters typed from the pattern itself (with or
 * without a `SocketRooms` declaration).
 * @example
 * ```ts
 * await app.register(fastifySockets, {
 *   rooms: {
 *     org: defineRoom(Type.TemplateLiteral('org:${number}'), (request, [orgId]) => request.user.orgs.includes(orgId))
 *   }
 * })
 * ```
 */
export function defineRoom<S extends SchemaOf<string>> (pattern: S, join?: JoinGuard<S['static']>): RoomSpec<S['static']> {
  return join === undefined ? { pattern } : { pattern, join }
}

/** The `events` option: one TypeBox schema per declared event (any names when nothing is declared). */
export type EventSchemas = NoEvents extends true
  ? Readonly<Record<string, TSchema>>
  : { readonly [K in keyof SocketEvents]: SocketEvents[K] }

// Nothing declared: any pattern, and any guard (the guard's own parameter types are then its business;
// `defineRoom` types them from the pattern). Not `RoomSpec<string>`: TypeScript would measure RoomSpec
// as invariant in N and refuse a `RoomSpec<`game:${number}`>` here.
interface AnyRoomSpec {
  pattern: SchemaOf<string>
  join? (request: FastifyRequest, params: unknown[], room: string): boolean | Promise<boolean>
}

/** The `rooms` option: one pattern per declared room label (any labels when nothing is declared). */
export type RoomSchemas = NoRooms extends true
  ? Readonly<Record<string, SchemaOf<string> | AnyRoomSpec>>
  : { readonly [K in keyof SocketRooms]: RoomDeclaration<SocketRooms[K] & string> }

/**
 * The registry options: `events` and `rooms` are required once declared, so a declared event
 * without a runtime schema fails to compile.
 */
export type RegistryOptions =
  (NoEvents extends true ? { events?: EventSchemas } : { events: EventSchemas }) &
  (NoRooms extends true ? { rooms?: RoomSchemas } : { rooms: RoomSchemas }) &
  {
    /**
     * Validate outgoing payloads against their schemas (once per call, never per recipient) and
     * refuse undeclared events. Set `false` in production to skip the check. Room names and join
     * guards are always checked.
     * @default true
     */
    validate?: boolean
  }

/** The registry as JSON Schema, for clients and code generators (`fastify.sockets.schemas()`). */
export interface RegistryJson {
  events: Record<string, unknown>
  rooms: Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------
// Runtime registry
// ---------------------------------------------------------------------------------------------

// socket.io refuses these names for emits; checking them ourselves gives a coded error instead.
// socket.io's reserved names, plus the client SDK's lifecycle events (a push under those names would never
// reach an SDK listener)
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener',
  'reconnect', 'reconnecting', 'reconnect_failed'])

export const MAX_ROOM_NAME_LENGTH = 256
const MAX_EVENT_NAME_LENGTH = 256

interface CompiledRoom {
  readonly label: string
  readonly check: TypeCheck<TSchema>
  readonly params: ParamReader
  readonly guard: JoinGuard | undefined
  readonly schema: TSchema
}

/** Resolved registry options (validated shapes, not yet compiled). */
export interface ResolvedRegistry {
  readonly events: Readonly<Record<string, TSchema>> | undefined
  readonly rooms: Readonly<Record<string, { pattern: TSchema, join: JoinGuard | undefined }>> | undefined
  readonly validate: boolean
}


/** Why a name cannot be an event name, or undefined when it can. */
export function eventNameProblem (event: unknown): string | undefined {
  if (typeof event !== 'string') return `expected a string, got ${event === null ? 'null' : typeof event}`
  if (event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) return `'${event.slice(0, 64)}' must have 1..${MAX_EVENT_NAME_LENGTH} characters`
  if (RESERVED_EVENTS.has(event)) return `'${event}' is reserved by socket.io`
  return undefined
}

// A room pattern must only ever accept strings: template literals, string literals, strings, unions of them.
function isRoomSchema (schema: TSchema): boolean {
  if (KindGuard.IsUnion(schema)) return schema.anyOf.length > 0 && schema.anyOf.every(isRoomSchema)
  if (KindGuard.IsLiteral(schema)) return typeof schema.const === 'string'
  return KindGuard.IsTemplateLiteral(schema) || KindGuard.IsString(schema)
}

/**
 * Validates the `events`, `rooms` and `validate` options (shapes only; compiling happens in the
 * registry). Called by `resolveOptions`.
 * @throws FST_SOCKETS_OPTIONS_INVALID
 */
export function resolveRegistryOptions (opts: Record<string, unknown>): ResolvedRegistry {
  let events: Record<string, TSchema> | undefined
  if (opts.events !== undefined) {
    if (!isPlainObject(opts.events)) throw new FST_SOCKETS_OPTIONS_INVALID('events must be an object of event name -> TypeBox schema')
    events = Object.create(null) as Record<string, TSchema>
    for (const [name, schema] of Object.entries(opts.events)) {
      const problem = eventNameProblem(name)
      if (problem !== undefined) throw new FST_SOCKETS_OPTIONS_INVALID(`events: ${problem}`)
      if (!KindGuard.IsSchema(schema)) throw new FST_SOCKETS_OPTIONS_INVALID(`events.${name} must be a TypeBox schema`)
      events[name] = schema
    }
  }

  let rooms: Record<string, { pattern: TSchema, join: JoinGuard | undefined }> | undefined
  if (opts.rooms !== undefined) {
    if (!isPlainObject(opts.rooms)) throw new FST_SOCKETS_OPTIONS_INVALID('rooms must be an object of label -> TypeBox pattern or { pattern, join }')
    rooms = Object.create(null) as Record<string, { pattern: TSchema, join: JoinGuard | undefined }>
    for (const [label, value] of Object.entries(opts.rooms)) {
      let pattern: unknown = value
      let join: unknown
      if (!KindGuard.IsSchema(value) && isPlainObject(value)) {
        for (const key of Object.keys(value)) {
          if (key !== 'pattern' && key !== 'join') throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label}: unknown key '${key}' (expected pattern, join)`)
        }
        pattern = value.pattern
        join = value.join
      }
      if (!KindGuard.IsSchema(pattern) || !isRoomSchema(pattern)) {
        throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label} must be a TypeBox string pattern (Type.TemplateLiteral, Type.Literal, Type.String or a union of them), or { pattern, join }`)
      }
      if (join !== undefined && typeof join !== 'function') throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label}.join must be a function`)
      rooms[label] = { pattern, join: join as JoinGuard | undefined }
    }
  }

  if (opts.validate !== undefined && typeof opts.validate !== 'boolean') throw new FST_SOCKETS_OPTIONS_INVALID('validate must be a boolean')
  return Object.freeze({ events, rooms, validate: (opts.validate as boolean | undefined) ?? true })
}

function compile (schema: TSchema, where: string): TypeCheck<TSchema> {
  try {
    return TypeCompiler.Compile(schema)
  } catch (err) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`${where} does not compile: ${(err as Error).message}`)
  }
}

function firstError (check: TypeCheck<TSchema>, payload: unknown): { path: string, message: string } {
  const error = check.Errors(payload).First()
  if (error === undefined) return { path: '/', message: 'does not match the schema' }
  return { path: error.path === '' ? '/' : error.path, message: error.message }
}

/**
 * Runtime side of the registry: every schema compiled once (at registration), then each outgoing
 * event and its rooms checked once per call, never per recipient.
 */
export class EventRegistry {
  readonly #validate: boolean
  readonly #events = new Map<string, TypeCheck<TSchema>>()
  readonly #eventSchemas = new Map<string, TSchema>()
  readonly #rooms: CompiledRoom[] = []
  readonly #internalPrefixes: string[] = []

  /** @throws FST_SOCKETS_OPTIONS_INVALID when a schema does not compile */
  constructor (options: ResolvedRegistry = { events: undefined, rooms: undefined, validate: true }) {
    this.#validate = options.validate
    for (const [name, schema] of Object.entries(options.events ?? {})) this.define(name, schema)
    for (const [label, { pattern, join }] of Object.entries(options.rooms ?? {})) {
      this.#rooms.push({ label, check: compile(pattern, `rooms.${label}`), params: paramReader(pattern), guard: join, schema: pattern })
    }
  }

  /** Whether any room pattern is declared (then every room name must match one). */
  get hasRooms (): boolean {
    return this.#rooms.length > 0
  }

  /**
   * Adds an event schema after registration (for features that own an event, such as a resource's
   * messages). Compiled now, once.
   * @throws FST_SOCKETS_OPTIONS_INVALID when the name is taken by another schema or the schema does not compile
   */
  define (event: string, schema: TSchema): void {
    const problem = eventNameProblem(event)
    if (problem !== undefined) throw new FST_SOCKETS_OPTIONS_INVALID(`events: ${problem}`)
    if (!KindGuard.IsSchema(schema)) throw new FST_SOCKETS_OPTIONS_INVALID(`events.${event} must be a TypeBox schema`)
    const existing = this.#eventSchemas.get(event)
    if (existing !== undefined && existing !== schema) throw new FST_SOCKETS_OPTIONS_INVALID(`event '${event}' already has another schema`)
    this.#events.set(event, compile(schema, `events.${event}`))
    this.#eventSchemas.set(event, schema)
  }

  /**
   * Room names starting with `prefix` skip the declared patterns (rooms the plugin's own features
   * name, such as resource rooms).
   */
  allowRoomPrefix (prefix: string): void {
    if (typeof prefix !== 'string' || prefix.length === 0) throw new FST_SOCKETS_OPTIONS_INVALID('a room prefix must be a non-empty string')
    this.#internalPrefixes.push(prefix)
  }

  /**
   * Checks an outgoing event: its name, and with `validate` on, that it is declared (once any event
   * is) and that the payload matches its schema.
   * @throws FST_SOCKETS_INVALID_EVENT, FST_SOCKETS_UNDECLARED_EVENT, FST_SOCKETS_INVALID_PAYLOAD
   */
  checkEvent (event: unknown, payload: unknown): void {
    const problem = eventNameProblem(event)
    if (problem !== undefined) throw new FST_SOCKETS_INVALID_EVENT(problem)
    if (!this.#validate || this.#events.size === 0) return
    const check = this.#events.get(event as string)
    if (check === undefined) throw new FST_SOCKETS_UNDECLARED_EVENT(event as string)
    if (!check.Check(payload)) {
      const { path, message } = firstError(check, payload)
      throw new FST_SOCKETS_INVALID_PAYLOAD(event as string, path, message)
    }
  }

  /**
   * Checks a room name: a string of 1..256 characters that, once rooms are declared, matches a
   * declared pattern.
   * @throws FST_SOCKETS_INVALID_ROOM, FST_SOCKETS_UNDECLARED_ROOM
   */
  checkRoom (room: unknown): string {
    const name = this.#checkName(room)
    if (this.#rooms.length > 0 && !this.#declared(name)) throw new FST_SOCKETS_UNDECLARED_ROOM(name.slice(0, 64))
    return name
  }

  /** Normalises `room | rooms` to a non-empty array of checked names. */
  checkRooms (rooms: unknown): string[] {
    if (Array.isArray(rooms)) {
      if (rooms.length === 0) throw new FST_SOCKETS_INVALID_ROOM('empty array of rooms')
      return rooms.map((room) => this.checkRoom(room))
    }
    return [this.checkRoom(rooms)]
  }

  /** Checks a socket id (a string of 1..256 characters; no pattern applies). */
  checkSocketId (id: unknown): string {
    return this.#checkName(id)
  }

  /** Checks a name that may be a room or a socket id (socket.io's id shape passes the patterns). */
  checkRoomOrSocket (name: unknown): string {
    const checked = this.#checkName(name)
    if (this.#rooms.length > 0 && !looksLikeSocketId(checked) && !this.#declared(checked)) {
      throw new FST_SOCKETS_UNDECLARED_ROOM(checked.slice(0, 64))
    }
    return checked
  }

  /** `checkRoomOrSocket` over `name | names`, normalised to a non-empty array. */
  checkRoomsOrSockets (names: unknown): string[] {
    if (Array.isArray(names)) {
      if (names.length === 0) throw new FST_SOCKETS_INVALID_ROOM('empty array of rooms')
      return names.map((name) => this.checkRoomOrSocket(name))
    }
    return [this.checkRoomOrSocket(names)]
  }

  /**
   * Runs the join guards of the patterns each room matches, for each socket request. Resolves when
   * every guard allows.
   * @throws FST_SOCKETS_JOIN_REFUSED (statusCode 403), or what a guard throws
   */
  async authorize (requests: readonly FastifyRequest[], rooms: readonly string[]): Promise<void> {
    if (requests.length === 0) return
    for (const room of rooms) {
      for (const spec of this.#rooms) {
        if (spec.guard === undefined || !spec.check.Check(room)) continue
        const params = spec.params(room) ?? []
        for (const request of requests) {
          if (await spec.guard(request, params as never, room) !== true) throw new FST_SOCKETS_JOIN_REFUSED(room.slice(0, 64))
        }
      }
    }
  }

  /**
   * The registry as plain JSON Schema (TypeBox's symbols dropped): serve it to clients or feed a
   * code generator.
   */
  schemas (): RegistryJson {
    const events: Record<string, unknown> = {}
    for (const [name, schema] of this.#eventSchemas) events[name] = JSON.parse(JSON.stringify(schema))
    const rooms: Record<string, unknown> = {}
    for (const { label, schema } of this.#rooms) rooms[label] = JSON.parse(JSON.stringify(schema))
    return { events, rooms }
  }

  #checkName (room: unknown): string {
    if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
      throw new FST_SOCKETS_INVALID_ROOM(typeof room === 'string'
        ? `length must be 1..${MAX_ROOM_NAME_LENGTH}, got ${room.length}`
        : `expected a string, got ${room === null ? 'null' : typeof room}`)
    }
    return room
  }

  #declared (name: string): boolean {
    for (const spec of this.#rooms) if (spec.check.Check(name)) return true
    for (const prefix of this.#internalPrefixes) if (name.startsWith(prefix)) return true
    return false
  }
}
