import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { FST_SOCKETS_OPTIONS_INVALID } from '../errors.js'
import { isPlainObject, unknownOption } from '../common/values.js'
import { MAX_TIMER_MS } from '../common/limits.js'

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

/** The adapters the cluster can run on (`cluster.adapter`). */
export type AdapterKind = 'pubsub' | 'sharded' | 'streams'

/** Options of `cluster`. */
export interface ClusterOptions {
  /**
   * Where Redis is: `{ url }` (the plugin creates, connects and closes two clients), or your own two
   * node-redis clients `{ pubClient, subClient }`, already connected; you close them after `fastify.close()`.
   */
  redis: { url: string } | { pubClient: RedisClientLike, subClient: RedisClientLike }
  /**
   * The socket.io adapter between the nodes: `'pubsub'` (`@socket.io/redis-adapter`, at most once: what is
   * published while Redis or a node is away is lost), `'sharded'` (Redis 7 sharded pub/sub, for Redis
   * Cluster deployments), or `'streams'` (`@socket.io/redis-streams-adapter`: broadcasts go through a Redis
   * stream, so a node resumes after a Redis restart where it stopped, and the plugin's `recovery` option can
   * restore a client's session on any node). Replaces `sharded: true` (refused, with the fix in its message).
   * @default 'pubsub'
   */
  adapter?: AdapterKind
  /**
   * `'streams'` only: about how many entries the Redis stream keeps (`XADD MAXLEN ~`). Bounds Redis memory; a
   * client recovering from an offset older than the stream's oldest entry is not recovered (it connects anew).
   * @default 10000
   */
  streamMaxLength?: number
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
   * A peer not heard from for this long (ms), while this node kept hearing itself, is gone: later operations
   * do not wait for it. This node, when it has not heard its own heartbeat back through Redis for this long,
   * is cut off: not ready, and its cluster-wide operations reject. At least 3 × `heartbeatInterval`.
   * @default 3000
   */
  heartbeatTimeout?: number
  /**
   * How long (ms) registration waits for Redis. Past it the plugin starts anyway, not ready
   * (`fastify.sockets.cluster.ready === false`), keeps reconnecting, and says so in the log and with a
   * process warning (seen even with Fastify's logger off). 0: do not wait.
   * @default 5000
   */
  readyTimeout?: number
  /**
   * Fail the registration (`FST_SOCKETS_CLUSTER_NOT_READY`) instead of starting on local delivery when
   * Redis is not ready within `readyTimeout`.
   * @default false
   */
  requireReady?: boolean
}

/** `cluster` after its checks and defaults; frozen. */
export interface ResolvedClusterOptions {
  readonly redis: { readonly url: string } | { readonly pubClient: RedisClientLike, readonly subClient: RedisClientLike }
  readonly adapter: AdapterKind
  readonly streamMaxLength: number
  readonly subscriptionMode: 'static' | 'dynamic' | 'dynamic-private'
  readonly key: string
  readonly nodeId: string
  readonly timeout: number
  readonly heartbeatInterval: number
  readonly heartbeatTimeout: number
  readonly readyTimeout: number
  readonly requireReady: boolean
}

/** The defaults of the `cluster` options (`nodeId`'s is made per process: `<hostname>:<pid>:<random>`). */
export const CLUSTER_DEFAULTS = Object.freeze({
  adapter: 'pubsub',
  streamMaxLength: 10_000,
  subscriptionMode: 'dynamic',
  key: 'fastify-sockets',
  timeout: 5000,
  heartbeatInterval: 1000,
  heartbeatTimeout: 3000,
  readyTimeout: 5000,
  requireReady: false
} as const)

const NAME = /^[A-Za-z0-9._:-]{1,64}$/

function milliseconds (name: string, min: number, fallback: number) {
  return (value: unknown): number => {
    const ms = value === undefined ? fallback : value
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) {
      throw new FST_SOCKETS_OPTIONS_INVALID(`cluster.${name} must be an integer of milliseconds >= ${min}`)
    }
    return ms
  }
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

function resolveRedis (redis: unknown): ResolvedClusterOptions['redis'] {
  if (!isPlainObject(redis)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis must be { url } or { pubClient, subClient } (node-redis clients)')
  }
  if ('url' in redis) {
    if (Object.keys(redis).length !== 1) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis takes either { url } or { pubClient, subClient }')
    let url: URL | undefined
    try { url = typeof redis.url === 'string' ? new URL(redis.url) : undefined } catch { url = undefined }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis.url must be a redis:// or rediss:// URL')
    }
    return Object.freeze({ url: redis.url as string })
  }
  if (Object.keys(redis).length !== 2 || !isRedisClient(redis.pubClient) || !isRedisClient(redis.subClient)) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis must be { url } or { pubClient, subClient } (two node-redis clients)')
  }
  if (!redis.pubClient.isOpen || !redis.subClient.isOpen) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis clients must be connected (call connect() on both) before registering')
  }
  if (redis.pubClient === redis.subClient) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.redis.subClient must be a separate client (subClient = pubClient.duplicate())')
  }
  return Object.freeze({ pubClient: redis.pubClient, subClient: redis.subClient })
}

/** A check of an option that takes one of a few names. */
function oneOf<T extends string> (name: string, choices: readonly T[], fallback: T) {
  const listed = choices.map((choice) => `'${choice}'`)
  const expected = `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1] as string}`
  return (value: unknown): T => {
    const chosen = value === undefined ? fallback : value
    if (!(choices as readonly unknown[]).includes(chosen)) throw new FST_SOCKETS_OPTIONS_INVALID(`cluster.${name} must be ${expected}`)
    return chosen as T
  }
}

// One check per key of ClusterOptions (the compiler refuses a key without one); each returns the resolved value.
const CLUSTER_CHECKS = {
  redis: resolveRedis,
  adapter: oneOf<AdapterKind>('adapter', ['pubsub', 'sharded', 'streams'], CLUSTER_DEFAULTS.adapter),
  streamMaxLength: (value: unknown): number => {
    const n = value === undefined ? CLUSTER_DEFAULTS.streamMaxLength : value
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 100_000_000) {
      throw new FST_SOCKETS_OPTIONS_INVALID('cluster.streamMaxLength must be an integer in 100..100000000')
    }
    return n
  },
  subscriptionMode: oneOf<ResolvedClusterOptions['subscriptionMode']>('subscriptionMode', ['static', 'dynamic', 'dynamic-private'], CLUSTER_DEFAULTS.subscriptionMode),
  key: (value: unknown): string => {
    const key = value === undefined ? CLUSTER_DEFAULTS.key : value
    if (typeof key !== 'string' || !NAME.test(key)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.key must be 1..64 of [A-Za-z0-9._:-]')
    return key
  },
  nodeId: (value: unknown): string => {
    const nodeId = value === undefined ? defaultNodeId() : value
    if (typeof nodeId !== 'string' || !NAME.test(nodeId)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster.nodeId must be 1..64 of [A-Za-z0-9._:-]')
    return nodeId
  },
  timeout: milliseconds('timeout', 1, CLUSTER_DEFAULTS.timeout),
  heartbeatInterval: milliseconds('heartbeatInterval', 10, CLUSTER_DEFAULTS.heartbeatInterval),
  heartbeatTimeout: milliseconds('heartbeatTimeout', 10, CLUSTER_DEFAULTS.heartbeatTimeout),
  readyTimeout: milliseconds('readyTimeout', 0, CLUSTER_DEFAULTS.readyTimeout),
  requireReady: (value: unknown): boolean => {
    if (value !== undefined && typeof value !== 'boolean') throw new FST_SOCKETS_OPTIONS_INVALID('cluster.requireReady must be a boolean')
    return value ?? CLUSTER_DEFAULTS.requireReady
  }
} satisfies { [K in keyof Required<ClusterOptions>]: (value: unknown) => ResolvedClusterOptions[K] }

/**
 * Checks the `cluster` option: unknown keys refused, every value checked, defaults applied; frozen.
 * @throws FST_SOCKETS_OPTIONS_INVALID
 */
export function resolveCluster (input: unknown): ResolvedClusterOptions {
  if (!isPlainObject(input)) throw new FST_SOCKETS_OPTIONS_INVALID('cluster must be an object such as { redis: { url } }')
  // 0.1's `sharded: true` became `adapter: 'sharded'`: refused rather than aliased, so one spelling exists
  if ('sharded' in input) {
    throw new FST_SOCKETS_OPTIONS_INVALID(`cluster.sharded was replaced by cluster.adapter: write adapter: '${input.sharded === true ? 'sharded' : 'pubsub'}'`)
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(CLUSTER_CHECKS, key)) throw new FST_SOCKETS_OPTIONS_INVALID(unknownOption(key, Object.keys(CLUSTER_CHECKS), 'cluster.'))
  }
  const resolved = {} as { -readonly [K in keyof ResolvedClusterOptions]: ResolvedClusterOptions[K] }
  for (const key of Object.keys(CLUSTER_CHECKS) as Array<keyof typeof CLUSTER_CHECKS>) {
    (resolved as Record<string, unknown>)[key] = CLUSTER_CHECKS[key](input[key])
  }
  if (input.subscriptionMode !== undefined && resolved.adapter !== 'sharded') {
    throw new FST_SOCKETS_OPTIONS_INVALID("cluster.subscriptionMode applies to the sharded adapter only (set cluster.adapter: 'sharded')")
  }
  if (input.streamMaxLength !== undefined && resolved.adapter !== 'streams') {
    throw new FST_SOCKETS_OPTIONS_INVALID("cluster.streamMaxLength applies to the streams adapter only (set cluster.adapter: 'streams')")
  }
  if (resolved.requireReady && resolved.readyTimeout === 0) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.requireReady needs a cluster.readyTimeout above 0 (how long to wait for Redis)')
  }
  // a node must miss more than one heartbeat to look gone, and a stall too short to notice must not expire a peer (liveness.ts)
  if (resolved.heartbeatTimeout < 3 * resolved.heartbeatInterval) {
    throw new FST_SOCKETS_OPTIONS_INVALID('cluster.heartbeatTimeout must be at least 3 × cluster.heartbeatInterval')
  }
  return Object.freeze(resolved)
}
