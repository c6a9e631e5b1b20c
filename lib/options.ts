import type { IncomingMessage } from 'node:http'
import type { ServerOptions, Socket } from 'socket.io'
import { FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_ORIGINS_REQUIRED } from './errors.js'
import { MAX_TIMER_MS, LIMITS } from './common/limits.js'
import { isPlainObject, unknownOption } from './common/values.js'
import type { RegistryOptions } from './rooms/declarations.js'
import { resolveEvents, resolveRooms, type ResolvedRegistry } from './rooms/registry-options.js'
import { parseOrigin } from './connection/origins.js'
import { DEFAULT_CLIENT_PATH, GET_COOKIE_PATH } from './client-support/bundle-routes.js'
import { resolveCluster, type ClusterOptions, type ResolvedClusterOptions } from './cluster/options.js'
import { REPLACEABLE_HEADERS, isHeaderName, replaceableProblem } from './virtual-request/headers.js'
import type { JarLimits } from './virtual-request/cookie-jar.js'

export type { ClusterOptions, RedisClientLike, ResolvedClusterOptions } from './cluster/options.js'

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
// `events`, `rooms` and `validate` come from RegistryOptions (rooms/declarations.ts): typed to mirror the
// SocketEvents / SocketRooms declarations, and required once those are declared.
export interface FastifySocketsOptions extends RegistryOptions {
  /**
   * Exact origins (`scheme://host[:port]`, no path, no trailing slash) allowed to use a socket.
   * Enforced on every Engine.IO request (handshake, polls, POSTs of packets, the websocket upgrade),
   * Engine.IO 3 and 4 alike; a refusal is a 403 whose body has the code `FST_SOCKETS_ORIGIN_REFUSED`. Required when `NODE_ENV=production`
   * unless `allowRequest` is given.
   * @default undefined (any origin)
   */
  allowedOrigins?: string[]
  /**
   * Whether an Engine.IO request without an `Origin` header (Node clients, native apps) passes the
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
   * How long (ms) `fastify.close()` lets the virtual requests in flight finish, as Fastify lets HTTP requests
   * in flight finish: each is answered with its real result. Those still running at its end get a 503 JWR
   * (`FST_SOCKETS_SERVER_CLOSING`) and an aborted `request.signal`. New requests get the 503 at once. At most
   * `requestTimeout` (no request outlives its own deadline); 0 answers every one in flight 503 at once.
   * @default 5000, or `requestTimeout` when that is smaller
   */
  closeGrace?: number
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
   * @default 64 (a page may fire a few dozen requests at load)
   */
  maxInFlight?: number
  /**
   * Bytes the server may hold for one client that has not read them yet: Engine.IO's write buffer plus what
   * its websocket (or its unread polling answers) still buffer, answers and broadcasts alike. A client that
   * never reads (a polling client that only posts, a websocket whose TCP window stays closed) would otherwise
   * make the server keep every answer and broadcast for it. Past it the client is disconnected: the reason,
   * `FST_SOCKETS_SLOW_CONSUMER`, is logged once and given to `onDisconnect`. One message bigger than the cap
   * still goes out when nothing else is waiting.
   * @default 1048576 (1 MiB, as Centrifugo's per-client queue)
   */
  maxQueuedBytes?: number
  /**
   * Rooms a socket may be in when it joins through its own request (`join(request, ...)`; its own id room
   * is not counted). A join past it throws `FST_SOCKETS_ROOM_LIMIT` (400). Joins by socket id are the server's
   * and are not capped.
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
   * and the resource rooms (`sails_model_`) are always reserved; these are added to them.
   * @default []
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
   * How virtual requests run through Fastify. `'lean'`: on the plugin's own request/response pair through
   * `fastify.routing`, with Node's checks (the cheap way). `'inject'`: through light-my-request, as
   * `fastify.inject` runs them, on a real `http.ServerResponse`, for plugins that need what the lean pair
   * does not emulate (listed in the docs), at several times the CPU per request. Same JWRs, socket context,
   * deadlines and limits either way.
   * @default 'lean'
   */
  dispatch?: 'lean' | 'inject'
  /**
   * Handshake headers that a socket request's own `headers` may replace. Every other header the handshake
   * has (set by the browser or a proxy in front: `cf-connecting-ip`, `remote-user`, `user-agent`, ...) stays
   * as the handshake gave it; headers the handshake lacks may be given per request, except the denied ones
   * (`DENIED_REQUEST_HEADERS`). Leave `authorization` out when a proxy in front authenticates it.
   * @default ['authorization', 'accept', 'accept-language']
   */
  replaceableHeaders?: string[]
  /**
   * Each socket's cookie jar: the `set-cookie` of its answers (which never reach the client) is kept
   * server-side and sent with that socket's later requests, as a browser's jar would, so sessions work over a
   * socket that connected without a cookie. Bounded per domain (a cookie past a bound is refused with a log
   * line); dropped on disconnect. `false`: no jar (each request carries the handshake's cookie only, as in Sails).
   * @default { maxCookiesPerDomain: 50, maxBytesPerDomain: 8192 }
   */
  cookieJar?: false | { maxCookiesPerDomain?: number, maxBytesPerDomain?: number }
  /**
   * socket.io `ServerOptions`, passed through. `allowRequest` belongs to the plugin option of the same name.
   * socket.io's own client bundle (`/socket.io/socket.io.js`) is not served unless `serveClient: true`.
   * @default { allowEIO3: true, serveClient: false } (so sails.io.js 1.2.1 clients connect)
   */
  socketio?: Partial<ServerOptions>
  /**
   * Client-facing routes. `path`: where the browser bundle (sails.io.js globals + socket.io-client) is
   * served, `false` for nowhere. `getCookie`: the `GET /__getcookie` route sails.io.js loads before a
   * cross-origin connection. `client: false` disables both.
   * @default { path: '/fastify-sockets.js', getCookie: true }
   */
  client?: false | { path?: string | false, getCookie?: boolean }
  /**
   * Run on many nodes with Redis between them (`@socket.io/redis-adapter`). Absent: one process, in-memory.
   * @default undefined
   */
  cluster?: ClusterOptions
  /**
   * Connection state recovery (socket.io's `connectionStateRecovery`): a client (socket.io v4 protocol) whose
   * connection dropped for less than `maxDisconnectionDuration` ms comes back with the same socket id, its
   * rooms (resource subscriptions included) and the broadcasts it missed, in order. `allowRequest` and
   * `onConnection` run again on every recovery (`socket.recovered` is true there), and a refusal ends it.
   * In a cluster it needs `cluster.adapter: 'streams'`. Absent: off.
   *
   * @example
   * ```ts
   * await app.register(fastifySockets, { recovery: { maxDisconnectionDuration: 120_000 } })
   * ```
   * @default undefined
   */
  recovery?: RecoveryOptions
}

/** Options of `recovery`. */
export interface RecoveryOptions {
  /** How long (ms) a disconnected client's session is kept for it to come back to. 1..86400000. */
  maxDisconnectionDuration: number
}

/**
 * The defaults of every option, frozen: the one place a default is written. (`cluster`'s nested defaults
 * are `CLUSTER_DEFAULTS` in cluster/options.ts.) The docs' options block shows the same values, which a test checks.
 */
export const DEFAULTS = Object.freeze({
  allowedOrigins: undefined,
  allowNoOrigin: true,
  allowRequest: undefined,
  requestTimeout: 30_000,
  /** Taken down to `requestTimeout` when that is smaller. */
  closeGrace: 5000,
  maxMessageSize: 100_000,
  maxInFlight: 64,
  maxQueuedBytes: 1_048_576,
  maxRoomsPerSocket: 100,
  maxRoomNameLength: 128,
  reservedRoomPrefixes: Object.freeze([] as string[]),
  onConnection: undefined,
  onDisconnect: undefined,
  dispatch: 'lean',
  replaceableHeaders: REPLACEABLE_HEADERS,
  cookieJar: Object.freeze({ maxCookiesPerDomain: 50, maxBytesPerDomain: 8192 }),
  socketio: Object.freeze({ allowEIO3: true, serveClient: false }),
  client: Object.freeze({ path: DEFAULT_CLIENT_PATH, getCookie: true }),
  cluster: undefined,
  recovery: undefined,
  events: undefined,
  rooms: undefined,
  validate: true
} as const) satisfies { readonly [K in keyof Required<FastifySocketsOptions>]: unknown }

/** The options after their checks and defaults; frozen (nested objects too, but for socket.io's own passthrough values). */
export interface ResolvedOptions {
  readonly allowedOrigins: readonly string[] | undefined
  readonly allowNoOrigin: boolean
  readonly allowRequest: FastifySocketsOptions['allowRequest']
  readonly requestTimeout: number
  readonly closeGrace: number
  readonly maxMessageSize: number
  readonly maxInFlight: number
  readonly maxQueuedBytes: number
  readonly maxRoomsPerSocket: number
  readonly maxRoomNameLength: number
  readonly reservedRoomPrefixes: readonly string[]
  readonly onConnection: FastifySocketsOptions['onConnection']
  readonly onDisconnect: FastifySocketsOptions['onDisconnect']
  readonly dispatch: 'lean' | 'inject'
  readonly replaceableHeaders: ReadonlySet<string>
  readonly cookieJar: JarLimits | undefined
  readonly socketio: Readonly<Partial<ServerOptions>>
  /** `events`, `rooms`, `validate`: shapes checked; compiled by the EventRegistry and the RoomRules. */
  readonly registry: ResolvedRegistry
  readonly client: { readonly path: string | undefined, readonly getCookie: boolean }
  readonly cluster: ResolvedClusterOptions | undefined
  readonly recovery: Readonly<RecoveryOptions> | undefined
}

/**
 * Options Fastify's own `register()` takes (`app.register(plugin, { prefix, logLevel })`): they reach a
 * plugin with the rest, and mean nothing to one that decorates the root through fastify-plugin.
 */
export const FASTIFY_REGISTER_KEYS: readonly string[] = Object.freeze(['prefix', 'logLevel', 'logSerializers'])

function integer (name: string, fallback: number, max: number) {
  return (value: unknown): number => {
    const n = value === undefined ? fallback : value
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > max) {
      throw new FST_SOCKETS_OPTIONS_INVALID(`${name} must be an integer in 1..${max}`)
    }
    return n
  }
}

function boolean (name: string, fallback: boolean) {
  return (value: unknown): boolean => {
    if (value !== undefined && typeof value !== 'boolean') throw new FST_SOCKETS_OPTIONS_INVALID(`${name} must be a boolean`)
    return value ?? fallback
  }
}

function optionalFunction<F> (name: string) {
  return (value: unknown): F | undefined => {
    if (value !== undefined && typeof value !== 'function') throw new FST_SOCKETS_OPTIONS_INVALID(`${name} must be a function`)
    return value as F | undefined
  }
}

function resolveOrigins (value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new FST_SOCKETS_OPTIONS_INVALID('allowedOrigins must be an array of origins')
  // an empty list would refuse every browser while still passing the production check: say so instead
  if (value.length === 0) throw new FST_SOCKETS_OPTIONS_INVALID('allowedOrigins is empty: list at least one origin, or leave it out')
  const origins: string[] = []
  for (const entry of value) {
    const checked = parseOrigin(entry)
    if ('reason' in checked) throw new FST_SOCKETS_OPTIONS_INVALID(`allowedOrigins entry '${String(entry)}' is ${checked.reason}`)
    if (!origins.includes(checked.origin)) origins.push(checked.origin)
  }
  return Object.freeze(origins)
}

function resolveRequestTimeout (value: unknown): number {
  const ms = value === undefined ? DEFAULTS.requestTimeout : value
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new FST_SOCKETS_OPTIONS_INVALID('requestTimeout must be a positive integer of milliseconds')
  }
  return ms
}

// undefined: the default, which depends on requestTimeout (resolveOptions)
function resolveCloseGrace (value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new FST_SOCKETS_OPTIONS_INVALID('closeGrace must be an integer of milliseconds >= 0')
  }
  return value
}

function resolvePrefixes (value: unknown): readonly string[] {
  const prefixes = value === undefined ? DEFAULTS.reservedRoomPrefixes : value
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('reservedRoomPrefixes must be an array of non-empty strings')
  }
  return Object.freeze([...prefixes as string[]])
}

function resolveDispatch (value: unknown): 'lean' | 'inject' {
  if (value === undefined) return DEFAULTS.dispatch
  if (value !== 'lean' && value !== 'inject') throw new FST_SOCKETS_OPTIONS_INVALID("dispatch must be 'lean' or 'inject'")
  return value
}

function resolveReplaceable (value: unknown): ReadonlySet<string> {
  const names = value === undefined ? DEFAULTS.replaceableHeaders : value
  if (!Array.isArray(names)) throw new FST_SOCKETS_OPTIONS_INVALID('replaceableHeaders must be an array of header names')
  const out = new Set<string>()
  for (const name of names as unknown[]) {
    if (!isHeaderName(name)) throw new FST_SOCKETS_OPTIONS_INVALID(`replaceableHeaders entry '${String(name)}' is not a header name`)
    const lower = name.toLowerCase()
    const problem = replaceableProblem(lower)
    if (problem !== undefined) throw new FST_SOCKETS_OPTIONS_INVALID(`replaceableHeaders cannot hold '${lower}': it ${problem}`)
    out.add(lower)
  }
  return out
}

function resolveCookieJar (input: unknown): JarLimits | undefined {
  if (input === false) return undefined
  const jar = input === undefined ? {} : input
  if (!isPlainObject(jar)) throw new FST_SOCKETS_OPTIONS_INVALID('cookieJar must be false or an object { maxCookiesPerDomain, maxBytesPerDomain }')
  for (const key of Object.keys(jar)) {
    if (key !== 'maxCookiesPerDomain' && key !== 'maxBytesPerDomain') throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option 'cookieJar.${key}'`)
  }
  return Object.freeze({
    maxCookiesPerDomain: integer('cookieJar.maxCookiesPerDomain', DEFAULTS.cookieJar.maxCookiesPerDomain, 10_000)(jar.maxCookiesPerDomain),
    maxBytesPerDomain: integer('cookieJar.maxBytesPerDomain', DEFAULTS.cookieJar.maxBytesPerDomain, 1_048_576)(jar.maxBytesPerDomain)
  })
}

function resolveSocketio (value: unknown): Readonly<Partial<ServerOptions>> {
  if (value !== undefined && !isPlainObject(value)) throw new FST_SOCKETS_OPTIONS_INVALID('socketio must be an object of socket.io ServerOptions')
  const socketio = (value ?? {}) as Partial<ServerOptions>
  if ('allowRequest' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option allowRequest, not socketio.allowRequest (the plugin composes it with the origin check)')
  }
  if ('maxHttpBufferSize' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option maxMessageSize, not socketio.maxHttpBufferSize')
  }
  // A copy, frozen; the values inside stay the user's own (socket.io reads them, and they are not ours to freeze).
  return Object.freeze({ ...DEFAULTS.socketio, ...socketio })
}

function resolveClient (input: unknown): ResolvedOptions['client'] {
  if (input === false) return Object.freeze({ path: undefined, getCookie: false })
  const client = input === undefined ? {} : input
  if (!isPlainObject(client)) throw new FST_SOCKETS_OPTIONS_INVALID('client must be false or an object { path, getCookie }')
  for (const key of Object.keys(client)) {
    if (key !== 'path' && key !== 'getCookie') throw new FST_SOCKETS_OPTIONS_INVALID(unknownOption(key, ['path', 'getCookie'], 'client.'))
  }
  const path = client.path === undefined ? DEFAULTS.client.path : client.path
  if (path !== false && (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || path.length > 256)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('client.path must be false or a route path starting with / (no query, no spaces)')
  }
  const getCookie = boolean('client.getCookie', DEFAULTS.client.getCookie)(client.getCookie)
  if (path === GET_COOKIE_PATH && client.getCookie !== false) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`client.path '${GET_COOKIE_PATH}' is the sails.io.js cookie route's (set client.getCookie: false to take it)`)
  }
  return Object.freeze({ path: path === false ? undefined : path, getCookie })
}

function resolveRecovery (input: unknown): Readonly<RecoveryOptions> | undefined {
  if (input === undefined) return undefined
  if (!isPlainObject(input)) throw new FST_SOCKETS_OPTIONS_INVALID('recovery must be an object { maxDisconnectionDuration }')
  for (const key of Object.keys(input)) {
    if (key !== 'maxDisconnectionDuration') throw new FST_SOCKETS_OPTIONS_INVALID(unknownOption(key, ['maxDisconnectionDuration'], 'recovery.'))
  }
  const ms = input.maxDisconnectionDuration
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms <= 0 || ms > 86_400_000) {
    throw new FST_SOCKETS_OPTIONS_INVALID('recovery.maxDisconnectionDuration must be an integer of milliseconds in 1..86400000')
  }
  return Object.freeze({ maxDisconnectionDuration: ms })
}

// One check per option (the compiler refuses an option without one); each returns the resolved value.
const CHECKS = {
  allowedOrigins: resolveOrigins,
  allowNoOrigin: boolean('allowNoOrigin', DEFAULTS.allowNoOrigin),
  allowRequest: optionalFunction<NonNullable<FastifySocketsOptions['allowRequest']>>('allowRequest'),
  requestTimeout: resolveRequestTimeout,
  closeGrace: resolveCloseGrace,
  maxMessageSize: integer('maxMessageSize', DEFAULTS.maxMessageSize, MAX_TIMER_MS),
  maxInFlight: integer('maxInFlight', DEFAULTS.maxInFlight, 1_000_000),
  maxQueuedBytes: integer('maxQueuedBytes', DEFAULTS.maxQueuedBytes, MAX_TIMER_MS),
  maxRoomsPerSocket: integer('maxRoomsPerSocket', DEFAULTS.maxRoomsPerSocket, 1_000_000),
  maxRoomNameLength: integer('maxRoomNameLength', DEFAULTS.maxRoomNameLength, LIMITS.roomName),
  reservedRoomPrefixes: resolvePrefixes,
  onConnection: optionalFunction<NonNullable<FastifySocketsOptions['onConnection']>>('onConnection'),
  onDisconnect: optionalFunction<NonNullable<FastifySocketsOptions['onDisconnect']>>('onDisconnect'),
  dispatch: resolveDispatch,
  replaceableHeaders: resolveReplaceable,
  cookieJar: resolveCookieJar,
  socketio: resolveSocketio,
  client: resolveClient,
  cluster: (value: unknown) => value === undefined ? undefined : resolveCluster(value),
  recovery: resolveRecovery,
  events: resolveEvents,
  rooms: resolveRooms,
  validate: boolean('validate', DEFAULTS.validate)
} satisfies { readonly [K in keyof Required<FastifySocketsOptions>]: (value: unknown) => unknown }

type Checked = { -readonly [K in keyof typeof CHECKS]: ReturnType<typeof CHECKS[K]> }

/** The names of every option, for "unknown option" and the docs' check. */
export const OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(CHECKS))

/**
 * Validates the options up front: an invalid value is an error, never silently replaced by a default.
 * @throws FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_ORIGINS_REQUIRED
 */
export function resolveOptions (input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const opts = input ?? {}
  if (!isPlainObject(opts)) throw new FST_SOCKETS_OPTIONS_INVALID('options must be an object')
  for (const key of Object.keys(opts)) {
    if (!Object.hasOwn(CHECKS, key) && !FASTIFY_REGISTER_KEYS.includes(key)) throw new FST_SOCKETS_OPTIONS_INVALID(unknownOption(key, OPTION_NAMES))
  }
  const checked = {} as Checked
  for (const key of OPTION_NAMES as Array<keyof typeof CHECKS>) {
    (checked as Record<string, unknown>)[key] = CHECKS[key](opts[key])
  }

  // Rules across options.
  // socket.io's connection state recovery skips middlewares unless told otherwise, and onConnection is
  // one: the plugin turns it on itself (recovery), with the middlewares run again.
  if ('connectionStateRecovery' in checked.socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option recovery: { maxDisconnectionDuration }, not socketio.connectionStateRecovery (the plugin runs onConnection again on every recovery)')
  }
  // the sessions and the missed packets must be where any node can read them: the streams adapter keeps both in Redis
  if (checked.recovery !== undefined && checked.cluster !== undefined && checked.cluster.adapter !== 'streams') {
    throw new FST_SOCKETS_OPTIONS_INVALID(`recovery in a cluster needs cluster.adapter: 'streams' (the ${checked.cluster.adapter} adapter keeps no sessions in Redis)`)
  }
  if (checked.cluster !== undefined && 'adapter' in checked.socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('socketio.adapter cannot be combined with cluster (the plugin sets the Redis adapter)')
  }
  if (env.NODE_ENV === 'production' && checked.allowedOrigins === undefined && checked.allowRequest === undefined) {
    throw new FST_SOCKETS_ORIGINS_REQUIRED()
  }
  if (checked.closeGrace !== undefined && checked.closeGrace > checked.requestTimeout) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`closeGrace (${checked.closeGrace} ms) must not exceed requestTimeout (${checked.requestTimeout} ms)`)
  }
  const closeGrace = checked.closeGrace ?? Math.min(DEFAULTS.closeGrace, checked.requestTimeout)

  const { events, rooms, validate, ...rest } = checked
  return Object.freeze({ ...rest, closeGrace, registry: Object.freeze({ events, rooms, validate }) })
}
