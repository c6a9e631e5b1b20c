import type { IncomingMessage } from 'node:http'
import type { ServerOptions, Socket } from 'socket.io'
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { FST_SOCKETS_OPTIONS_INVALID, FST_SOCKETS_ORIGINS_REQUIRED } from './errors.js'
import { resolveRegistryOptions, type RegistryOptions, type ResolvedRegistry } from './events.js'
import { DEFAULT_CLIENT_PATH, GET_COOKIE_PATH } from './browser-client.js'
import { isPlainObject } from './packet.js'

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
   * @default 64 (a page may fire a few dozen requests at load)
   */
  maxInFlight?: number
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
  /**
   * Run on many nodes with Redis between them (`@socket.io/redis-adapter`). Absent: one process, in-memory.
   * @default undefined
   */
  cluster?: ClusterOptions
}

/**
 * A node-redis (`redis` package, v4.6+ or v5) client or cluster client, as far as the plugin uses it.
 * Structural so any `createClient()` / `createCluster()` result fits, whatever its modules.
 */
export interface RedisClientLike {
  readonly isOpen: boolean
  /** Absent on cluster clients. */
  readonly isReady?: boolean
  on (event: string, listener: (...args: any[]) => void): unknown
  off (event: string, listener: (...args: any[]) => void): unknown
}

/** Options of `cluster` (see the README, Cluster). */
export interface ClusterOptions {
  /**
   * Where Redis is: `{ url }` (the plugin creates, connects and closes two clients), or your own two
   * node-redis clients `{ pubClient, subClient }`, already connected; you close them after `fastify.close()`.
   */
  redis: { url: string } | { pubClient: RedisClientLike, subClient: RedisClientLike }
  /**
   * Use Redis 7 sharded pub/sub (`createShardedAdapter`), for Redis Cluster deployments.
   * @default false
   */
  sharded?: boolean
  /**
   * Sharded adapter only: `static`, `dynamic` or `dynamic-private` (see @socket.io/redis-adapter).
   * @default 'dynamic'
   */
  subscriptionMode?: 'static' | 'dynamic' | 'dynamic-private'
  /**
   * Prefix of every Redis channel; nodes of one app share it, different apps on one Redis must not.
   * @default 'fastify-sockets'
   */
  key?: string
  /**
   * This node's name in the cluster (in errors naming silent nodes, in health). 1..64 of `[A-Za-z0-9._:-]`.
   * @default `<hostname>:<pid>:<random>`
   */
  nodeId?: string
  /**
   * Deadline in ms of a cluster-wide operation (membership change, `members`, `rooms`).
   * @default 5000
   */
  timeout?: number
  /**
   * How often (ms) a node tells the others it is alive.
   * @default 1000
   */
  heartbeatInterval?: number
  /**
   * A node not heard from for this long (ms) is gone: later operations do not wait for it. Greater than `heartbeatInterval`.
   * @default 3000
   */
  heartbeatTimeout?: number
  /**
   * How long (ms) registration waits for Redis. Past it the plugin starts anyway, not ready
   * (`fastify.sockets.cluster.ready === false`), and keeps reconnecting. 0: do not wait.
   * @default 5000
   */
  readyTimeout?: number
}

/** `cluster` after validation and defaults. */
export interface ResolvedClusterOptions {
  readonly redis: { readonly url: string } | { readonly pubClient: RedisClientLike, readonly subClient: RedisClientLike }
  readonly sharded: boolean
  readonly subscriptionMode: 'static' | 'dynamic' | 'dynamic-private'
  readonly key: string
  readonly nodeId: string
  readonly timeout: number
  readonly heartbeatInterval: number
  readonly heartbeatTimeout: number
  readonly readyTimeout: number
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
  readonly cluster: ResolvedClusterOptions | undefined
}

const KNOWN = new Set<string>(['allowedOrigins', 'allowNoOrigin', 'allowRequest', 'requestTimeout', 'socketio',
  'events', 'rooms', 'validate', 'client', 'cluster',
  'maxMessageSize', 'maxInFlight', 'maxRoomsPerSocket', 'maxRoomNameLength', 'reservedRoomPrefixes', 'onConnection', 'onDisconnect'])
// Options Fastify's own register() takes (`app.register(plugin, { prefix, logLevel })`): they reach the
// plugin with the rest, and mean nothing to it (it decorates the root through fastify-plugin).
const FASTIFY_REGISTER_KEYS = new Set<string>(['prefix', 'logLevel', 'logSerializers'])

function positiveInteger (name: string, value: unknown, fallback: number, max: number): number {
  const n = value ?? fallback
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > max) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`${name} must be an integer in 1..${max}`)
  }
  return n
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
    if (!KNOWN.has(key) && !FASTIFY_REGISTER_KEYS.has(key)) throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option '${key}'`)
  }

  let allowedOrigins: Set<string> | undefined
  if (opts.allowedOrigins !== undefined) {
    if (!Array.isArray(opts.allowedOrigins)) throw new FST_SOCKETS_OPTIONS_INVALID('allowedOrigins must be an array of origins')
    // an empty list would refuse every browser while still passing the production check: say so instead
    if (opts.allowedOrigins.length === 0) throw new FST_SOCKETS_OPTIONS_INVALID('allowedOrigins is empty: list at least one origin, or leave it out')
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
  // socket.io's connection state recovery skips middlewares unless told otherwise, and onConnection is
  // one: a recovered socket would connect without the hook that may be doing its authorisation.
  const recovery = socketio.connectionStateRecovery as { skipMiddlewares?: boolean } | undefined
  if (recovery !== undefined && opts.onConnection !== undefined && recovery.skipMiddlewares !== false) {
    throw new FST_SOCKETS_OPTIONS_INVALID('socketio.connectionStateRecovery would let recovered sockets skip onConnection: set its skipMiddlewares: false')
  }
  if ('allowRequest' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option allowRequest, not socketio.allowRequest (the plugin composes it with the origin check)')
  }
  if ('maxHttpBufferSize' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('use the plugin option maxMessageSize, not socketio.maxHttpBufferSize')
  }
  const maxMessageSize = positiveInteger('maxMessageSize', opts.maxMessageSize, 100_000, 2 ** 31 - 1)
  const maxInFlight = positiveInteger('maxInFlight', opts.maxInFlight, 64, 1_000_000)
  const maxRoomsPerSocket = positiveInteger('maxRoomsPerSocket', opts.maxRoomsPerSocket, 100, 1_000_000)
  const maxRoomNameLength = positiveInteger('maxRoomNameLength', opts.maxRoomNameLength, 128, 256)
  const prefixes = opts.reservedRoomPrefixes ?? []
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('reservedRoomPrefixes must be an array of non-empty strings')
  }
  for (const hook of ['onConnection', 'onDisconnect'] as const) {
    if (opts[hook] !== undefined && typeof opts[hook] !== 'function') throw new FST_SOCKETS_OPTIONS_INVALID(`${hook} must be a function`)
  }

  const client = resolveClient(opts.client)
  const cluster = opts.cluster === undefined ? undefined : resolveCluster(opts.cluster)
  if (cluster !== undefined && 'adapter' in socketio) {
    throw new FST_SOCKETS_OPTIONS_INVALID('socketio.adapter cannot be combined with cluster (the plugin sets the Redis adapter)')
  }

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
    client,
    cluster
  })
}

function resolveClient (input: unknown): ResolvedOptions['client'] {
  if (input === false) return Object.freeze({ path: undefined, getCookie: false })
  const client = input ?? {}
  if (!isPlainObject(client)) throw new FST_SOCKETS_OPTIONS_INVALID('client must be false or an object { path, getCookie }')
  for (const key of Object.keys(client)) {
    if (key !== 'path' && key !== 'getCookie') throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option 'client.${key}'`)
  }
  const path = client.path ?? DEFAULT_CLIENT_PATH
  if (path !== false && (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || path.length > 256)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('client.path must be false or a route path starting with / (no query, no spaces)')
  }
  if (client.getCookie !== undefined && typeof client.getCookie !== 'boolean') {
    throw new FST_SOCKETS_OPTIONS_INVALID('client.getCookie must be a boolean')
  }
  if (path === GET_COOKIE_PATH && client.getCookie !== false) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`client.path '${GET_COOKIE_PATH}' is the sails.io.js cookie route's (set client.getCookie: false to take it)`)
  }
  return Object.freeze({ path: path === false ? undefined : path, getCookie: (client.getCookie as boolean | undefined) ?? true })
}

// ---- cluster ----
const CLUSTER_KNOWN = new Set<string>(['redis', 'sharded', 'subscriptionMode', 'key', 'nodeId', 'timeout',
  'heartbeatInterval', 'heartbeatTimeout', 'readyTimeout'])
const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/
const KEY = /^[A-Za-z0-9._:-]{1,64}$/

function milliseconds (name: string, value: unknown, fallback: number, min: number): number {
  const ms = value ?? fallback
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min || ms > 2 ** 31 - 1) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`cluster.${name} must be an integer of milliseconds >= ${min}`)
  }
  return ms
}

function isRedisClient (value: unknown): value is RedisClientLike {
  if (value === null || typeof value !== 'object') return false
  const client = value as Record<string, unknown>
  return typeof client.on === 'function' && typeof client.publish === 'function' && typeof client.subscribe === 'function'
}

/** A readable, unique default node name. */
function defaultNodeId (): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40)
  return `${host === '' ? 'node' : host}:${process.pid}:${randomBytes(3).toString('hex')}`
}

function resolveCluster (input: unknown): ResolvedClusterOptions {
  if (!isPlainObject(input)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster must be an object such as { redis: { url } }')
  for (const key of Object.keys(input)) {
    if (!CLUSTER_KNOWN.has(key)) throw new FST_SOCKETS_OPTIONS_INVALID(`unknown option 'cluster.${key}'`)
  }
  const redis = input.redis
  let resolvedRedis: ResolvedClusterOptions['redis']
  if (!isPlainObject(redis)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis must be { url } or { pubClient, subClient } (node-redis clients)')
  } else if ('url' in redis) {
    if (Object.keys(redis).length !== 1) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis takes either { url } or { pubClient, subClient }')
    let url: URL | undefined
    try { url = typeof redis.url === 'string' ? new URL(redis.url) : undefined } catch { url = undefined }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis.url must be a redis:// or rediss:// URL')
    }
    resolvedRedis = { url: redis.url as string }
  } else {
    if (Object.keys(redis).length !== 2 || !isRedisClient(redis.pubClient) || !isRedisClient(redis.subClient)) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis must be { url } or { pubClient, subClient } (two node-redis clients)')
    }
    if (!redis.pubClient.isOpen || !redis.subClient.isOpen) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis clients must be connected (call connect() on both) before registering')
    }
    if (redis.pubClient === redis.subClient) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis.subClient must be a separate client (subClient = pubClient.duplicate())')
    }
    resolvedRedis = { pubClient: redis.pubClient, subClient: redis.subClient }
  }
  if (input.sharded !== undefined && typeof input.sharded !== 'boolean') throw new FST_SOCKETS_OPTIONS_INVALID('cluster.sharded must be a boolean')
  const sharded = input.sharded ?? false
  const subscriptionMode = input.subscriptionMode ?? 'dynamic'
  if (subscriptionMode !== 'static' && subscriptionMode !== 'dynamic' && subscriptionMode !== 'dynamic-private') {
    throw new FST_SOCKETS_OPTIONS_INVALID("cluster.subscriptionMode must be 'static', 'dynamic' or 'dynamic-private'")
  }
  if (input.subscriptionMode !== undefined && !sharded) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.subscriptionMode applies to the sharded adapter only (set cluster.sharded: true)')
  }
  const key = input.key ?? 'fastify-sockets'
  if (typeof key !== 'string' || !KEY.test(key)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.key must be 1..64 of [A-Za-z0-9._:-]')
  const nodeId = input.nodeId ?? defaultNodeId()
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.nodeId must be 1..64 of [A-Za-z0-9._:-]')
  const timeout = milliseconds('timeout', input.timeout, 5000, 1)
  const heartbeatInterval = milliseconds('heartbeatInterval', input.heartbeatInterval, 1000, 10)
  const heartbeatTimeout = milliseconds('heartbeatTimeout', input.heartbeatTimeout, 3000, 10)
  if (heartbeatTimeout <= heartbeatInterval) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.heartbeatTimeout must be greater than cluster.heartbeatInterval')
  }
  const readyTimeout = milliseconds('readyTimeout', input.readyTimeout, 5000, 0)
  return Object.freeze({ redis: resolvedRedis, sharded, subscriptionMode, key, nodeId, timeout, heartbeatInterval, heartbeatTimeout, readyTimeout })
}
