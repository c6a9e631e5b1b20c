// Unit tests of the option checks (lib/options.ts, lib/cluster/options.ts): every default applied from the one
// table of defaults, every bad value refused with FST_SOCKETS_OPTIONS_INVALID (null included: nothing is silently
// replaced by a default), and the result frozen, nested objects too, where they are the plugin's own.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { createClient } from 'redis'
import { DEFAULTS, OPTION_NAMES, FASTIFY_REGISTER_KEYS, resolveOptions, type ResolvedOptions } from '../../lib/options.js'
import { CLUSTER_DEFAULTS, resolveCluster } from '../../lib/cluster/options.js'
import { MAX_TIMER_MS } from '../../lib/common/limits.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'

const INVALID = { code: 'FST_SOCKETS_OPTIONS_INVALID' }
const REGISTRY_KEYS = ['events', 'rooms', 'validate']
const URL_ONLY = { redis: { url: 'redis://127.0.0.1:6379' } }

/** The resolved value of option `key` (events, rooms and validate are grouped under `registry`). */
function resolvedValue (opts: ResolvedOptions, key: string): unknown {
  const value = REGISTRY_KEYS.includes(key) ? (opts.registry as unknown as Record<string, unknown>)[key] : (opts as unknown as Record<string, unknown>)[key]
  return value instanceof Set ? [...value] : value
}

t.test('one default per option, in one frozen table', async (t) => {
  t.same(Object.keys(DEFAULTS).sort(), [...OPTION_NAMES].sort(), 'DEFAULTS and the checks name the same options')
  t.ok(Object.isFrozen(DEFAULTS), 'DEFAULTS is frozen')
  for (const key of ['reservedRoomPrefixes', 'socketio', 'client'] as const) t.ok(Object.isFrozen(DEFAULTS[key]), `and DEFAULTS.${key}`)
  t.ok(Object.isFrozen(FASTIFY_REGISTER_KEYS) && Object.isFrozen(OPTION_NAMES), 'the name lists too')
})

t.test('resolveOptions applies every default', async (t) => {
  for (const input of [undefined, {}]) {
    const opts = resolveOptions(input, {})
    for (const key of OPTION_NAMES) t.same(resolvedValue(opts, key), DEFAULTS[key as keyof typeof DEFAULTS], `${key} (from ${JSON.stringify(input)})`)
  }
  const opts = resolveOptions({}, {})
  t.not(opts.socketio, DEFAULTS.socketio, 'a copy of the socketio defaults, never the table itself')
  t.same(Object.keys(opts).sort(), [...OPTION_NAMES.filter((key) => !REGISTRY_KEYS.includes(key)), 'registry'].sort(), 'nothing more, nothing less')
})

t.test('resolveOptions keeps every valid value given', async (t) => {
  const allowRequest = (): boolean => true
  const onConnection = (): void => {}
  const onDisconnect = (): void => {}
  const chat = Type.TemplateLiteral('chat:${string}')
  const opts = resolveOptions({
    allowedOrigins: ['https://a.example', 'http://localhost:3000', 'https://a.example'],
    allowNoOrigin: false,
    allowRequest,
    requestTimeout: MAX_TIMER_MS,
    maxMessageSize: 1,
    maxInFlight: 1_000_000,
    maxQueuedBytes: 1,
    maxRoomsPerSocket: 1,
    maxRoomNameLength: 256,
    reservedRoomPrefixes: ['admin:'],
    onConnection,
    onDisconnect,
    socketio: { path: '/rt', allowEIO3: false },
    client: { path: '/client.js', getCookie: false },
    cluster: URL_ONLY,
    events: { hello: Type.Object({ n: Type.Number() }) },
    rooms: { chat, game: { pattern: Type.TemplateLiteral('game:${number}'), join: async () => true } },
    validate: false
  }, {})
  t.same(opts.allowedOrigins, ['https://a.example', 'http://localhost:3000'], 'origins, each once')
  t.same([opts.allowNoOrigin, opts.requestTimeout, opts.maxMessageSize, opts.maxInFlight, opts.maxQueuedBytes, opts.maxRoomsPerSocket, opts.maxRoomNameLength],
    [false, MAX_TIMER_MS, 1, 1_000_000, 1, 1, 256], 'the bounds of each number are accepted')
  t.equal(opts.allowRequest, allowRequest)
  t.equal(opts.onConnection, onConnection)
  t.equal(opts.onDisconnect, onDisconnect)
  t.same(opts.reservedRoomPrefixes, ['admin:'])
  t.same(opts.socketio, { allowEIO3: false, serveClient: false, path: '/rt' }, 'socketio over its defaults')
  t.same(opts.client, { path: '/client.js', getCookie: false })
  t.same(opts.cluster?.redis, URL_ONLY.redis)
  t.equal(opts.registry.validate, false)
  t.same(Object.keys(opts.registry.events ?? {}), ['hello'])
  t.equal(opts.registry.rooms?.chat?.pattern, chat, 'a bare pattern')
  t.equal(opts.registry.rooms?.chat?.join, undefined, 'has no guard')
  t.equal(typeof opts.registry.rooms?.game?.join, 'function', 'a { pattern, join } keeps its guard')
  t.same(resolveOptions({ client: false }, {}).client, { path: undefined, getCookie: false }, 'client: false turns both routes off')
  t.same(resolveOptions({ client: { path: false } }, {}).client, { path: undefined, getCookie: true }, 'path: false, the bundle only')
  t.same(resolveOptions({ client: { path: '/__getcookie', getCookie: false } }, {}).client, { path: '/__getcookie', getCookie: false })
})

t.test('the result is frozen, nested objects too; what stays the user\'s is not', async (t) => {
  const cors = { origin: 'https://a.example' }
  const prefixes = ['admin:']
  const origins = ['https://a.example']
  const opts = resolveOptions({
    allowedOrigins: origins,
    reservedRoomPrefixes: prefixes,
    socketio: { cors },
    cluster: URL_ONLY,
    events: { hello: Type.Object({}) },
    rooms: { game: { pattern: Type.TemplateLiteral('game:${number}') } }
  }, {})
  const frozen: Array<[string, unknown]> = [
    ['the options', opts], ['allowedOrigins', opts.allowedOrigins], ['reservedRoomPrefixes', opts.reservedRoomPrefixes],
    ['socketio', opts.socketio], ['client', opts.client], ['registry', opts.registry], ['registry.events', opts.registry.events],
    ['registry.rooms', opts.registry.rooms], ['registry.rooms.game', opts.registry.rooms?.game], ['cluster', opts.cluster],
    ['cluster.redis', opts.cluster?.redis]
  ]
  for (const [name, value] of frozen) t.ok(Object.isFrozen(value), `${name} is frozen`)
  t.notOk(Object.isFrozen(cors), 'a value inside socketio stays the user\'s own: socket.io reads it, and it is not ours to freeze')
  t.notOk(Object.isFrozen(prefixes) || Object.isFrozen(origins), 'the arrays given are copied, not frozen')
  prefixes.push('late:')
  origins.push('https://late.example')
  t.same(opts.reservedRoomPrefixes, ['admin:'], 'a later change to the array given changes nothing')
  t.same(opts.allowedOrigins, ['https://a.example'])
  t.equal(Object.getPrototypeOf(opts.registry.events), null, 'registries are null-prototype objects')
})

// At least one bad value for every option; null for each, as the test below adds.
const BAD: Record<string, unknown[]> = {
  allowedOrigins: ['https://a.example', [], ['a.example'], ['https://a.example/'], ['https://a.example/path'], ['https://a.example:443'], ['ftp://a.example'], [42], ['']],
  allowNoOrigin: ['no', 0, 1],
  allowRequest: [true, {}, 'fn'],
  requestTimeout: [0, -1, 1.5, '30s', MAX_TIMER_MS + 1, Number.NaN, Infinity],
  closeGrace: [-1, 1.5, '5s', MAX_TIMER_MS + 1, 30_001],
  maxMessageSize: [0, -1, 1.5, '1', MAX_TIMER_MS + 1],
  maxInFlight: [0, 1_000_001, 2.5, '8'],
  maxQueuedBytes: [0, -1, 1.5, '1MB', MAX_TIMER_MS + 1],
  maxRoomsPerSocket: [0, 1_000_001, true],
  maxRoomNameLength: [0, 257, 12.5],
  reservedRoomPrefixes: ['admin:', [''], [1], {}],
  onConnection: ['f', 1, {}],
  onDisconnect: [1, true],
  socketio: ['x', [], 1, { allowRequest: () => true }, { maxHttpBufferSize: 1 }],
  client: ['x', true, [], { bogus: 1 }, { path: 'no-slash' }, { path: '/a b' }, { path: '/a?b' }, { path: '/a#b' }, { path: '/' + 'a'.repeat(256) },
    { path: 7 }, { path: null }, { getCookie: 'yes' }, { path: '/__getcookie' }, { path: '/__getcookie', getCookie: true }],
  cluster: ['redis://x', {}, [], { redis: { url: 'http://x' } }],
  recovery: [true, 1, 'x', [], {}, { maxDisconnectionDuration: 0 }, { maxDisconnectionDuration: 1.5 }, { maxDisconnectionDuration: '1000' },
    { maxDisconnectionDuration: 86_400_001 }, { maxDisconnectionDuration: null }, { maxDisconnectionDuration: 1000, skipMiddlewares: true }],
  events: ['x', [], { '': Type.Object({}) }, { disconnect: Type.Object({}) }, { hello: {} }, { hello: { type: 'object' } }],
  rooms: ['x', [], { a: Type.Number() }, { a: Type.Object({}) }, { a: Type.Literal(1) }, { a: Type.Union([]) }, { a: Type.Union([Type.String(), Type.Number()]) },
    { a: { pattern: Type.String(), bogus: 1 } }, { a: { pattern: Type.String(), join: 'yes' } }, { a: { join: () => true } }, { a: 'chat:*' }],
  validate: ['yes', 0],
  dispatch: ['fast', 1, true],
  replaceableHeaders: ['authorization', [1], ['bad name'], ['host'], ['x-forwarded-for'], ['cookie'], {}],
  cookieJar: [true, 'x', [], { bogus: 1 }, { maxCookiesPerDomain: 0 }, { maxBytesPerDomain: 1.5 }, { maxBytesPerDomain: 1_048_577 }]
}

t.test('every bad value of every option is refused, null included', async (t) => {
  t.same(Object.keys(BAD).sort(), [...OPTION_NAMES].sort(), 'the table covers every option')
  for (const [key, values] of Object.entries(BAD)) {
    for (const value of [...values, null]) {
      t.throws(() => resolveOptions({ [key]: value }, {}), INVALID, `${key}: ${describe(value)}`)
    }
  }
})

t.test('unknown keys and what is refused across options', async (t) => {
  for (const input of ['yes', 7, [], new Map(), () => {}]) t.throws(() => resolveOptions(input, {}), { ...INVALID, message: /options must be an object/ }, describe(input))
  t.throws(() => resolveOptions({ bogus: 1 }, {}), { ...INVALID, message: /unknown option 'bogus'/ })
  t.throws(() => resolveOptions({ requesttimeout: 1 }, {}), { ...INVALID, message: /unknown option 'requesttimeout'/ }, 'names are case-sensitive')
  t.ok(resolveOptions({ prefix: '/v1', logLevel: 'warn', logSerializers: {} }, {}), 'Fastify\'s own register options pass')
  for (const csr of [{}, { skipMiddlewares: false }, { skipMiddlewares: true }, false]) {
    t.throws(() => resolveOptions({ socketio: { connectionStateRecovery: csr as never } }, {}), { ...INVALID, message: /use the plugin option recovery/ },
      `socketio.connectionStateRecovery ${describe(csr)} points to recovery`)
  }
  t.same(resolveOptions({ recovery: { maxDisconnectionDuration: 1000 } }, {}).recovery, { maxDisconnectionDuration: 1000 }, 'recovery on one node')
  t.ok(Object.isFrozen(resolveOptions({ recovery: { maxDisconnectionDuration: 1 } }, {}).recovery), 'frozen')
  t.equal(resolveOptions({}, {}).recovery, undefined, 'off by default')
  for (const adapter of ['pubsub', 'sharded'] as const) {
    t.throws(() => resolveOptions({ cluster: { ...URL_ONLY, adapter }, recovery: { maxDisconnectionDuration: 1000 } }, {}),
      { ...INVALID, message: /recovery in a cluster needs cluster\.adapter: 'streams'/ }, `recovery refused on ${adapter}`)
  }
  t.ok(resolveOptions({ cluster: { ...URL_ONLY, adapter: 'streams' }, recovery: { maxDisconnectionDuration: 1000 } }, {}), 'recovery on streams')
  t.throws(() => resolveOptions({ cluster: URL_ONLY, socketio: { adapter: (() => {}) as never } }, {}), { ...INVALID, message: /socketio\.adapter/ })
  t.ok(resolveOptions({ socketio: { adapter: (() => {}) as never } }, {}), 'an adapter of your own without cluster')
  t.throws(() => resolveOptions({}, { NODE_ENV: 'production' }), { code: 'FST_SOCKETS_ORIGINS_REQUIRED' })
  t.ok(resolveOptions({ allowRequest: () => true }, { NODE_ENV: 'production' }))
  t.ok(resolveOptions({ allowedOrigins: ['https://a.example'] }, { NODE_ENV: 'production' }))
})

t.test('resolveCluster applies every default', async (t) => {
  t.ok(Object.isFrozen(CLUSTER_DEFAULTS), 'CLUSTER_DEFAULTS is frozen')
  const resolved = resolveCluster(URL_ONLY)
  for (const [key, value] of Object.entries(CLUSTER_DEFAULTS)) t.equal(resolved[key as keyof typeof resolved], value, key)
  t.match(resolved.nodeId, new RegExp(`^[A-Za-z0-9.-]{1,40}:${process.pid}:[0-9a-f]{6}$`), 'a readable default node id: host, pid, random')
  t.not(resolveCluster(URL_ONLY).nodeId, resolved.nodeId, 'made per call')
  t.same(Object.keys(resolved).sort(), [...Object.keys(CLUSTER_DEFAULTS), 'redis', 'nodeId'].sort(), 'nothing more, nothing less')
  t.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.redis), 'the result is frozen, redis too')
  t.not(resolved.redis, URL_ONLY.redis, 'a copy of the redis option')
  const given = resolveCluster({ ...URL_ONLY, adapter: 'sharded', subscriptionMode: 'static', key: 'app.1', nodeId: 'node:a', timeout: 1, heartbeatInterval: 10, heartbeatTimeout: 30, readyTimeout: 0, requireReady: false })
  t.same({ ...given }, { redis: URL_ONLY.redis, adapter: 'sharded', streamMaxLength: CLUSTER_DEFAULTS.streamMaxLength, subscriptionMode: 'static', key: 'app.1', nodeId: 'node:a', timeout: 1, heartbeatInterval: 10, heartbeatTimeout: 30, readyTimeout: 0, requireReady: false },
    'every valid value given is kept, the bounds included')
  t.same(resolveCluster({ ...URL_ONLY, adapter: 'streams', streamMaxLength: 100 }).streamMaxLength, 100, 'the shortest stream')
  t.equal(resolveCluster({ redis: { url: 'rediss://h:1' }, timeout: MAX_TIMER_MS }).timeout, MAX_TIMER_MS, 'rediss:// and the longest timer')
})

const CLUSTER_BAD: Record<string, unknown[]> = {
  redis: ['redis://x', [], { url: 'http://x' }, { url: 'nope' }, { url: 7 }, { url: 'redis://x', pubClient: {} }, { pubClient: {}, subClient: {} }, {}],
  adapter: ['redis', 'stream', true, 1],
  streamMaxLength: [99, 100.5, '1000', 100_000_001],
  subscriptionMode: ['all', 1],
  key: ['', 'a b', 'k'.repeat(65), 7],
  nodeId: ['', 'bad name!', 'n'.repeat(65), 7],
  timeout: [0, 1.5, '1000', MAX_TIMER_MS + 1],
  heartbeatInterval: [9, 100.5],
  heartbeatTimeout: [9, 'x'],
  readyTimeout: [-1, 0.5],
  requireReady: ['yes', 1]
}

t.test('every bad value of every cluster option is refused, null included', async (t) => {
  t.same(Object.keys(CLUSTER_BAD).sort(), [...Object.keys(CLUSTER_DEFAULTS), 'redis', 'nodeId'].sort(), 'the table covers every cluster option')
  for (const [key, values] of Object.entries(CLUSTER_BAD)) {
    for (const value of [...values, null]) {
      // subscriptionMode applies to the sharded adapter: give it one, so the value itself is what is refused
      // (and streamMaxLength to the streams adapter)
      const adapter = key === 'subscriptionMode' ? { adapter: 'sharded' } : key === 'streamMaxLength' ? { adapter: 'streams' } : {}
      const input = { ...URL_ONLY, ...adapter, [key]: value }
      t.throws(() => resolveCluster(input), INVALID, `cluster.${key}: ${describe(value)}`)
    }
  }
  for (const input of [undefined, null, 'x', []]) t.throws(() => resolveCluster(input), { ...INVALID, message: /cluster must be an object/ }, describe(input))
  t.throws(() => resolveCluster({ ...URL_ONLY, bogus: 1 }), { ...INVALID, message: /unknown option 'cluster\.bogus'/ })
  t.throws(() => resolveCluster({ ...URL_ONLY, subscriptionMode: 'static' }), { ...INVALID, message: /sharded adapter only/ })
  t.throws(() => resolveCluster({ ...URL_ONLY, adapter: 'pubsub', streamMaxLength: 1000 }), { ...INVALID, message: /streams adapter only/ })
  t.throws(() => resolveCluster({ ...URL_ONLY, sharded: true }), { ...INVALID, message: /cluster\.sharded was replaced by cluster\.adapter: write adapter: 'sharded'/ },
    '0.1\'s sharded: true is refused with what to write instead')
  t.throws(() => resolveCluster({ ...URL_ONLY, sharded: false }), { ...INVALID, message: /write adapter: 'pubsub'/ })
  t.throws(() => resolveCluster({ ...URL_ONLY, heartbeatInterval: 1000, heartbeatTimeout: 2999 }), { ...INVALID, message: /at least 3 × cluster\.heartbeatInterval/ })
  t.throws(() => resolveCluster({ ...URL_ONLY, heartbeatInterval: 1001 }), { ...INVALID, message: /at least 3 ×/ }, 'against the default timeout too')
  const closed = createClient({ url: 'redis://127.0.0.1:1' })
  t.throws(() => resolveCluster({ redis: { pubClient: closed, subClient: closed.duplicate() } }), { ...INVALID, message: /must be connected/ })
})

t.test('cluster.redis with clients of your own', { skip: redisSkipReason() }, async (t) => {
  const redis = await RedisServer.start(t)
  const pubClient = createClient({ url: redis.url })
  const subClient = pubClient.duplicate()
  await Promise.all([pubClient.connect(), subClient.connect()])
  t.teardown(() => { pubClient.destroy(); subClient.destroy() })
  const resolved = resolveCluster({ redis: { pubClient, subClient } })
  t.ok('pubClient' in resolved.redis && resolved.redis.pubClient === pubClient && resolved.redis.subClient === subClient, 'the clients given, as given')
  t.ok(Object.isFrozen(resolved.redis), 'in a frozen object')
  t.notOk(Object.isFrozen(pubClient), 'the clients themselves are yours, not frozen')
  t.throws(() => resolveCluster({ redis: { pubClient, subClient: pubClient } }), { ...INVALID, message: /separate client/ }, 'one client for both')
  t.throws(() => resolveCluster({ redis: { pubClient, subClient, url: redis.url } }), INVALID, 'clients and a url')
  t.throws(() => resolveCluster({ redis: { pubClient } }), INVALID, 'one client only')
})

function describe (value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 80)}...` : text
}
