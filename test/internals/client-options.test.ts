// Unit tests of the client SDK's pure parts: its option checks (lib/client/options.ts), the JWR it builds from an
// ack (lib/client/jwr.ts), and the url checks of connect() (refused before any connection is tried).
import t from 'tap'
import { resolveClientOptions } from '../../lib/client/options.js'
import { jwrOfAck } from '../../lib/client/jwr.js'
import { connect } from '../../lib/client/index.js'

const INVALID = { code: 'FST_SOCKETS_CLIENT_OPTIONS_INVALID' }

t.test('resolveClientOptions: the defaults', async (t) => {
  for (const input of [undefined, {}]) {
    const opts = resolveClientOptions(input)
    t.same(opts.headers, {}, 'no headers')
    t.equal(opts.requestTimeout, undefined, 'no client-side deadline')
    t.equal(opts.reconnection, true, 'reconnects')
    t.same(opts.io, {
      transports: ['websocket'],
      query: { __sails_io_sdk_version: '1.2.1', __sails_io_sdk_platform: 'node', __sails_io_sdk_language: 'javascript' },
      reconnection: true,
      forceNew: true,
      autoConnect: false
    }, 'websocket only, the sails.io.js handshake parameters, one manager per socket, connected by the SDK')
    t.ok(Object.isFrozen(opts), 'frozen')
  }
})

t.test('resolveClientOptions: every option given is kept', async (t) => {
  const opts = resolveClientOptions({
    headers: { Authorization: 'Bearer t' },
    initialConnectionHeaders: { Cookie: 'sid=1' },
    reconnection: false,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 10,
    reconnectionDelayMax: 2 ** 31 - 1,
    timeout: 1,
    requestTimeout: 500,
    path: '/rt',
    transports: ['polling', 'websocket'],
    query: { Room: 'a', __sails_io_sdk_platform: 'tests' },
    socketio: { upgrade: false, transports: ['webtransport'], forceNew: false }
  })
  t.same(opts.headers, { authorization: 'Bearer t' }, 'request header names lower-cased')
  t.equal(opts.requestTimeout, 500)
  t.equal(opts.reconnection, false)
  t.same(opts.io, {
    upgrade: false,
    transports: ['polling', 'websocket'],
    query: { __sails_io_sdk_version: '1.2.1', __sails_io_sdk_platform: 'tests', __sails_io_sdk_language: 'javascript', Room: 'a' },
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    path: '/rt',
    reconnectionAttempts: Infinity,
    reconnectionDelay: 10,
    reconnectionDelayMax: 2 ** 31 - 1,
    timeout: 1,
    extraHeaders: { cookie: 'sid=1' }
  }, 'the named options win over the socketio passthrough; the user\'s query wins over the handshake parameters, names kept as given')
})

t.test('resolveClientOptions: every bad value is refused, null included', async (t) => {
  const bad: Record<string, unknown[]> = {
    headers: ['x', [], { a: 1 }, { a: null }],
    initialConnectionHeaders: ['x', { cookie: ['a'] }],
    reconnection: ['yes', 0],
    reconnectionAttempts: [0, -1, 1.5, '3', 2 ** 31],
    reconnectionDelay: [0, Infinity],
    reconnectionDelayMax: [0.5],
    timeout: [0, '1000'],
    requestTimeout: [-5, Infinity],
    path: ['rt', 7],
    transports: [[], 'websocket', ['websocket', 'carrier-pigeon'], [1]],
    query: ['a=1', { a: 1 }],
    socketio: ['x', [], new Map()]
  }
  for (const [key, values] of Object.entries(bad)) {
    for (const value of [...values, null]) {
      t.throws(() => resolveClientOptions({ [key]: value }), INVALID, `${key}: ${String(JSON.stringify(value) ?? value)}`)
    }
  }
  for (const input of ['x', 7, [], null]) {
    if (input === null) t.ok(resolveClientOptions(input), 'null options are no options')
    else t.throws(() => resolveClientOptions(input), { ...INVALID, message: /options must be an object/ }, String(input))
  }
  t.throws(() => resolveClientOptions({ bogus: 1 }), { ...INVALID, message: /unknown option 'bogus'/ })
  t.throws(() => resolveClientOptions({ Headers: {} }), { ...INVALID, message: /unknown option 'Headers'/ }, 'names are case-sensitive')
})

t.test('connect(): the url is checked before anything connects', async (t) => {
  t.throws(() => connect('not a url'), { ...INVALID, message: /is not an absolute URL/ })
  t.throws(() => connect('ftp://127.0.0.1:21'), { ...INVALID, message: /url scheme must be http\(s\) or ws\(s\), got 'ftp:'/ })
  t.throws(() => connect('file:///etc/passwd'), { ...INVALID, message: /got 'file:'/ })
  t.throws(() => connect(undefined as never), { ...INVALID, message: /url is required outside a browser/ })
  t.throws(() => connect('http://127.0.0.1:1', { bogus: true } as never), INVALID, 'the options too')
})

t.test('jwrOfAck: what the server acked, with sails.io.js\' defaults', async (t) => {
  t.same(jwrOfAck({ body: { a: 1 }, statusCode: 201, headers: { 'x-id': '1' } }), { body: { a: 1 }, statusCode: 201, headers: { 'x-id': '1' } })
  t.same(jwrOfAck({ body: 'text' }), { body: 'text', statusCode: 200, headers: {} }, 'status 200 and no headers when absent')
  t.same(jwrOfAck({}), { body: null, statusCode: 200, headers: {} }, 'no body is null')
  t.same(jwrOfAck('bare'), { body: 'bare', statusCode: 200, headers: {} }, 'a bare value (a plain socket.io ack) is the body')
  t.same(jwrOfAck(null), { body: null, statusCode: 200, headers: {} })
  t.same(jwrOfAck([1, 2]), { body: [1, 2], statusCode: 200, headers: {} }, 'an array is a body')
  t.same(jwrOfAck({ body: 1, statusCode: '404', headers: ['x'] }), { body: 1, statusCode: 200, headers: {} }, 'a status that is not a number, headers that are not an object: defaults')
  for (const statusCode of [199, 400, 404, 500, 0]) {
    const jwr = jwrOfAck({ body: { message: 'no' }, statusCode })
    t.match(jwr.error, { statusCode, message: `Server responded with a ${statusCode} status code: {"message":"no"}` }, `${statusCode} carries an error`)
  }
  for (const statusCode of [200, 204, 304, 399]) t.equal(jwrOfAck({ statusCode }).error, undefined, `${statusCode} does not`)
  const circular: Record<string, unknown> = {}
  circular.self = circular
  t.match(jwrOfAck({ body: circular, statusCode: 500 }).error, { message: /500 status code: \[object Object\]/ }, 'a body that cannot be shown as JSON is shown as text')
  t.match(jwrOfAck({ statusCode: 500 }).error, { message: /500 status code: undefined$/ }, 'no body: undefined, as the ack carried')
  t.equal((jwrOfAck({ body: 'x'.repeat(2000), statusCode: 500 }).error as Error).message.length, 'Server responded with a 500 status code: '.length + 500, 'the body is cut at 500 characters')
})
