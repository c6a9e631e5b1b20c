import type { IncomingMessage } from 'node:http'
import type { ServerOptions, Socket } from 'socket.io'
import { FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_ORIGINS_REQUIRED } from './errors.js'
import { resolveRegistryOptions, type RegistryOptions, type ResolvedRegistry } from './events.js'

/**
 * Options of the fastify-sockets plugin.
 *
 * @example
 * ```ts
 * await app.register(fastifySockets, {
 *   allowedOrigins: ['https://app.example.com'],
 *   requestTimeout: 10_000
 * })
 * ```
 */
// `events`, `rooms` and `validate` come from RegistryOptions (events.ts): typed to mirror the
// SocketEvents / SocketRooms declarations, and required once those are declared.
export interface FastifySocketsOptions extends RegistryOptions {
  /**
   * Exact origins (`scheme://host[:port]`, no path, no trailing slash) allowed to open a socket.
   * Enforced at the handshake for websocket and polling alike. Required when `NODE_ENV=production`
   * unless `allowRequest` is given.
   * @default undefined (any origin)
   */
  allowedOrigins?: string[]
  /**
   * Whether a handshake without an `Origin` header (Node clients, native apps) passes the
   * `allowedOrigins` check. Browsers always send `Origin`, so refusing origin-less clients does not
   * protect against cross-site hijacking; set `false` to refuse them anyway.
   * @default true
   */
  allowNoOrigin?: boolean
  /**
   * Decides whether a handshake may connect (Sails' `beforeConnect`). Runs after the origin check.
   * Return `false` (or throw) to refuse: the client gets a `connect_error`.
   */
  allowRequest?: (handshake: IncomingMessage) => boolean | Promise<boolean>
  /**
   * Deadline of one virtual request in milliseconds; past it the socket gets a 504 JWR.
   * @default 30000
   */
  requestTimeout?: number
  /**
   * Largest message a client may send, in bytes (socket.io's `maxHttpBufferSize`, for websocket frames and
   * polling bodies alike). A bigger message closes that client's connection (`transport error`; polling gets
   * a 413). Keep it at most Fastify's `bodyLimit` (1 MiB by default) so every body that arrives can be parsed.
   * @default 100000
   */
  maxMessageSize?: number
  /**
   * Virtual requests one socket may have waiting for their answer. Past it the socket's further requests
   * are answered at once with a 429 JWR (`FST_SOCKETS_TOO_MANY_REQUESTS`) without reaching a route; other
   * sockets are not affected.
   * @default 32
   */
  maxInFlight?: number
  /**
   * Rooms one socket may be in through `fastify.sockets.join` (its own id room is not counted). A join past
   * it throws `FST_SOCKETS_ROOM_LIMIT` (400).
   * @default 100
   */
  maxRoomsPerSocket?: number
  /**
   * Longest room name `fastify.sockets.join` accepts (at most 256, the cap on every room name). Longer,
   * or holding control characters: `FST_SOCKETS_ROOM_NAME` (400).
   * @default 128
   */
  maxRoomNameLength?: number
  /**
   * Room name prefixes only the server joins sockets to: `join` and `addRoomMembersToRooms` refuse them
   * with `FST_SOCKETS_ROOM_RESERVED` (403) unless called with `{ allowReserved: true }`. Socket id rooms
   * are always reserved.
   * @default ['sails_model_']
   */
  reservedRoomPrefixes?: string[]
  /**
   * Runs for every socket after the handshake checks and before the client is told it is connected, so no
   * request of that socket can arrive before it settles (a socket.io middleware). Join rooms, load the user,
   * fill `socket.data` here. Throwing or rejecting refuses the socket: the error is logged, the client gets
   * a `connect_error` with message `Connection refused` and `data.code` `FST_SOCKETS_CONNECTION_REFUSED`.
   */
  onConnection?: (socket: Socket) => void | Promise<void>
  /**
   * Runs once when a socket disconnects, with socket.io's reason (`client namespace disconnect`,
   * `transport close`, `server shutting down`, ...). Its errors are logged, never thrown.
   */
  onDisconnect?: (socket: Socket, reason: string) => void | Promise<void>
  /**
   * socket.io `ServerOptions`, passed through. `allowRequest` belongs to the plugin option of the same name.
   * @default { allowEIO3: true } (so sails.io.js 1.2.1 clients connect)
   */
  socketio?: Partial<ServerOptions>
  /**
   * Client-facing routes. `path`: where the browser bundle (sails.io.js globals + socket.io-client) is
   * served, `false` for nowhere. `getCookie`: the `GET /__getcookie` route sails.io.js loads before a
   * cross-origin connection. `client: false` disables both.
   * @default { path: '/fastify-sockets.js', getCookie: true }
   */
  client?: false | { path?: string | false, getCookie?: boolean }
}

/** The options after validation and defaults; frozen. */
export interface ResolvedOptions {
  readonly allowedOrigins: ReadonlySet<string> | undefined
  readonly allowNoOrigin: boolean
  readonly allowRequest: FastifySocketsOptions['allowRequest']
  readonly requestTimeout: number
  readonly maxMessageSize: number
  readonly maxInFlight: number
  readonly maxRoomsPerSocket: number
  readonly maxRoomNameLength: number
  readonly reservedRoomPrefixes: readonly string[]
  readonly onConnection: FastifySocketsOptions['onConnection']
  readonly onDisconnect: FastifySocketsOptions['onDisconnect']
  readonly socketio: Partial<ServerOptions>
  /** `events`, `rooms`, `validate`: shapes checked, compiled by the EventRegistry. */
  readonly registry: ResolvedRegistry
  readonly client: { readonly path: string | undefined, readonly getCookie: boolean }
}

const KNOWN = new Set<string>(['allowedOrigins', 'allowNoOrigin', 'allowRequest', 'requestTimeout', 'socketio',
  'events', 'rooms', 'validate', 'client',
  'maxMessageSize', 'maxInFlight', 'maxRoomsPerSocket', 'maxRoomNameLength', 'reservedRoomPrefixes', 'onConnection', 'onDisconnect'])

function positiveInteger (name: string, value: unknown, fallback: number, max: number): number {
  const n = value ?? fallback
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > max) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`${name} must be an integer in 1..${max}`)
  }
  return n
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Parses an exact origin; returns the normalised form or a reason it is not one. */
export function checkOrigin (origin: unknown): { origin: string } | { reason: string } {
  if (typeof origin !== 'string' || origin.length === 0) return { reason: 'not a non-empty string' }
  let url: URL
  try { url = new URL(origin) } catch { return { reason: 'not a URL' } }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: 'scheme must be http or https' }
  if (url.origin !== origin) {
    return { reason: `not an exact origin (did you mean '${url.origin}'? no path, no trailing slash, no default port)` }
  }
  return { origin }
}

/**
 * Validates the options up front: an invalid value is an error, never silently replaced by a default.
 * @throws FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_ORIGINS_REQUIRED
 */
export function resolveOptions (input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const opts = input ?? {}
  if (!isPlainObject(opts)) throw new FST_SOCKETS_OPTIONS_INVALID('options must be an object')
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key)) throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option '${key}'`)
  }

  let allowedOrigins: Set<string> | undefined
  if (opts.allowedOrigins !== undefined) {
    if (!Array.isArray(opts.allowedOrigins)) throw new FST_SOCKETS_OPTIONS_INVALID('allowedOrigins must be an array of origins')
    allowedOrigins = new Set()
    for (const entry of opts.allowedOrigins) {
      const checked = checkOrigin(entry)
      if ('reason' in checked) throw new FST_SOCKETS_OPTIONS_INVALID(`allowedOrigins entry '${String(entry)}' is ${checked.reason}`)
      allowedOrigins.add(checked.origin)
    }
  }

  if (opts.allowNoOrigin !== undefined && typeof opts.allowNoOrigin !== 'boolean') {
    throw new FST_SOCKETS_OPTIONS_INVALID('allowNoOrigin must be a boolean')
  }
  if (opts.allowRequest !== undefined && typeof opts.allowRequest !== 'function') {
    throw new FST_SOCKETS_OPTIONS_INVALID('allowRequest must be a function')
  }
  const requestTimeout = opts.requestTimeout ?? 30_000
  if (typeof requestTimeout !== 'number' || !Number.isInteger(requestTimeout) || requestTimeout <= 0 || requestTimeout > 2 ** 31 - 1) {
    throw new FST_SOCKETS_OPTIONS_INVALID('requestTimeout must be a positive integer of milliseconds')
  }
  if (opts.socketio !== undefined && !isPlainObject(opts.socketio)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('socketio must be an object of socket.io ServerOptions')
  }
  const socketio = (opts.socketio ?? {}) as Partial<ServerOptions>
  if ('allowRequest' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option allowRequest, not socketio.allowRequest (the plugin composes it with the origin check)')
  }
  if ('maxHttpBufferSize' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option maxMessageSize, not socketio.maxHttpBufferSize')
  }
  const maxMessageSize = positiveInteger('maxMessageSize', opts.maxMessageSize, 100_000, 2 ** 31 - 1)
  const maxInFlight = positiveInteger('maxInFlight', opts.maxInFlight, 32, 1_000_000)
  const maxRoomsPerSocket = positiveInteger('maxRoomsPerSocket', opts.maxRoomsPerSocket, 100, 1_000_000)
  const maxRoomNameLength = positiveInteger('maxRoomNameLength', opts.maxRoomNameLength, 128, 256)
  const prefixes = opts.reservedRoomPrefixes ?? ['sails_model_']
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('reservedRoomPrefixes must be an array of non-empty strings')
  }
  for (const hook of ['onConnection', 'onDisconnect'] as const) {
    if (opts[hook] !== undefined && typeof opts[hook] !== 'function') throw new FST_SOCKETS_OPTIONS_INVALID(`${hook} must be a function`)
  }

  const client = resolveClient(opts.client)

  if (env.NODE_ENV === 'production' && allowedOrigins === undefined && opts.allowRequest === undefined) {
    throw new FST_SOCKETS_ORIGINS_REQUIRED()
  }

  const registry = resolveRegistryOptions(opts)

  return Object.freeze({
    registry,
    allowedOrigins,
    allowNoOrigin: (opts.allowNoOrigin as boolean | undefined) ?? true,
    allowRequest: opts.allowRequest as FastifySocketsOptions['allowRequest'],
    requestTimeout,
    maxMessageSize,
    maxInFlight,
    maxRoomsPerSocket,
    maxRoomNameLength,
    reservedRoomPrefixes: Object.freeze([...prefixes as string[]]),
    onConnection: opts.onConnection as FastifySocketsOptions['onConnection'],
    onDisconnect: opts.onDisconnect as FastifySocketsOptions['onDisconnect'],
    socketio: { allowEIO3: true, ...socketio },
    client
  })
}

function resolveClient (input: unknown): ResolvedOptions['client'] {
  if (input === false) return Object.freeze({ path: undefined, getCookie: false })
  const client = input ?? {}
  if (!isPlainObject(client)) throw new FST_SOCKETS_OPTIONS_INVALID('client must be false or an object { path, getCookie }')
  for (const key of Object.keys(client)) {
    if (key !== 'path' && key !== 'getCookie') throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option 'client.${key}'`)
  }
  const path = client.path ?? '/fastify-sockets.js'
  if (path !== false && (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || path.length > 256)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('client.path must be false or a route path starting with / (no query, no spaces)')
  }
  if (client.getCookie !== undefined && typeof client.getCookie !== 'boolean') {
    throw new FST_SOCKETS_OPTIONS_INVALID('client.getCookie must be a boolean')
  }
  return Object.freeze({ path: path === false ? undefined : path, getCookie: (client.getCookie as boolean | undefined) ?? true })
}
