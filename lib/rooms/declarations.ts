import type { FastifyRequest } from 'fastify'
import type { TSchema } from '@sinclair/typebox'

// The compile-time registry: what an app declares by declaration merging (SocketEvents, SocketRooms) and
// every type derived from it. Types only, but for defineRoom().

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

/** Who an operation applies to: a socket request, a socket id, or an array of them. */
export type SocketTarget = FastifyRequest | SocketId | ReadonlyArray<FastifyRequest | SocketId>
/** Who a broadcast skips: a socket request, a socket id, a room, or an array of them. */
export type Except = FastifyRequest | SocketId | RoomName | ReadonlyArray<FastifyRequest | SocketId | RoomName>
