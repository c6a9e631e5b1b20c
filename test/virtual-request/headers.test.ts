import t from 'tap'
import { request as httpRequest } from 'node:http'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { DENIED_REQUEST_HEADERS } from '../../lib/index.js'
import { MODES } from '../helpers/parity.js'
import { resolveOptions } from '../../lib/options.js'

function echo (app: import('fastify').FastifyInstance): void {
  app.get('/echo', async (request) => ({
    headers: request.headers,
    ip: request.ip,
    host: request.host,
    protocol: request.protocol,
    isSocket: request.isSocket
  }))
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: handshake headers are the base of every virtual request; a request adds, never replaces`, async (t) => {
    const app = await buildApp(t, { dispatch }, echo)
    const socket = await connect(t, app, {
      extraHeaders: {
        authorization: 'Bearer from-handshake',
        'user-agent': 'my-agent/1.0',
        'x-app': 'handshake',
        'cf-connecting-ip': '198.51.100.4',
        'remote-user': 'alice',
        accept: '*/*'
      }
    })
    const jwr = await request(socket, 'get', '/echo')
    const body = jwr.body as { headers: Record<string, string>, ip: string }
    t.equal(body.headers.authorization, 'Bearer from-handshake')
    t.equal(body.headers['user-agent'], 'my-agent/1.0')
    t.equal(body.headers['x-app'], 'handshake')
    t.equal(body.headers['sec-websocket-key'], undefined, 'transport headers of the handshake do not leak in')
    t.equal(body.headers.upgrade, undefined)
    t.equal(body.headers['accept-encoding'], 'identity', 'virtual requests accept identity only')
    t.equal(body.ip, '127.0.0.1', 'request.ip is the socket address')

    const over = await request(socket, 'get', '/echo', undefined, {
      authorization: 'Bearer per-request',
      accept: 'text/html',
      'accept-language': 'fr',
      'x-app': 'request',
      'user-agent': 'forged',
      'cf-connecting-ip': '6.6.6.6',
      'Remote-User': 'mallory',
      'x-new': 'added',
      'accept-encoding': 'gzip'
    })
    const headers = (over.body as { headers: Record<string, string> }).headers
    t.equal(headers.authorization, 'Bearer per-request', 'authorization is replaceable (a refreshed token)')
    t.equal(headers.accept, 'text/html', 'accept is replaceable (content negotiation per request)')
    t.equal(headers['accept-language'], 'fr', 'a header the handshake lacks is added')
    t.equal(headers['x-new'], 'added')
    t.equal(headers['x-app'], 'handshake', 'a handshake header is not replaced')
    t.equal(headers['user-agent'], 'my-agent/1.0')
    t.equal(headers['cf-connecting-ip'], '198.51.100.4', "a proxy's client address is not replaced")
    t.equal(headers['remote-user'], 'alice', "an auth proxy's identity is not replaced, whatever the case of the name")
    t.equal(headers['accept-encoding'], 'identity')
  })

  t.test(`${dispatch}: headers of the handshake's own HTTP request are not copied; a request may give them`, async (t) => {
    const app = await buildApp(t, { dispatch }, echo)
    const perRequest: Record<string, string> = {
      'x-request-id': 'hs-1',
      'x-correlation-id': 'hs-2',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      'cache-control': 'no-cache',
      pragma: 'no-cache',
      'if-none-match': '"abc"',
      'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
      range: 'bytes=0-1',
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'websocket'
    }
    const socket = await connect(t, app, { extraHeaders: { ...perRequest, 'x-kept': 'yes' } })
    const first = (await request(socket, 'get', '/echo')).body as { headers: Record<string, string> }
    for (const name of Object.keys(perRequest)) t.equal(first.headers[name], undefined, `${name} is not copied from the handshake`)
    t.equal(first.headers['x-kept'], 'yes', 'a connection header is')
    const given = (await request(socket, 'get', '/echo', undefined, { 'if-none-match': '"v2"', 'x-request-id': 'req-7' })).body as { headers: Record<string, string> }
    t.equal(given.headers['if-none-match'], '"v2"', 'given per request, it applies')
    t.equal(given.headers['x-request-id'], 'req-7')
  })

  t.test(`${dispatch}: replaceableHeaders names what a request may replace`, async (t) => {
    const app = await buildApp(t, { dispatch, replaceableHeaders: ['X-App'] }, echo)
    const socket = await connect(t, app, { extraHeaders: { authorization: 'Bearer hs', 'x-app': 'handshake' } })
    const headers = ((await request(socket, 'get', '/echo', undefined, { authorization: 'Bearer req', 'x-app': 'request' })).body as { headers: Record<string, string> }).headers
    t.equal(headers['x-app'], 'request', 'listed: replaced')
    t.equal(headers.authorization, 'Bearer hs', 'not listed (authorization left out): kept')
  })
}

t.test('requestIdHeader behind a proxy that stamps ids: every socket request has its own request.id', async (t) => {
  const ids: string[] = []
  const app = await buildApp(t, {}, (app) => {
    app.get('/id', async (request) => { ids.push(request.id); return { id: request.id } })
  }, { requestIdHeader: 'x-request-id' })
  // the proxy stamped the handshake's HTTP request; over HTTP it stamps every request
  const socket = await connect(t, app, { extraHeaders: { 'x-request-id': 'proxy-1' } })
  const a = (await request(socket, 'get', '/id')).body as { id: string }
  const b = (await request(socket, 'get', '/id')).body as { id: string }
  t.not(a.id, 'proxy-1', "the handshake's id is not every request's id")
  t.not(a.id, b.id, 'two socket requests, two ids')
  const viaHttp = await Promise.all(['proxy-2', 'proxy-3'].map(async (id) => (await app.inject({ url: '/id', headers: { 'x-request-id': id } })).json() as { id: string }))
  t.same(viaHttp.map((r) => r.id), ['proxy-2', 'proxy-3'], 'over HTTP each request has the id its proxy stamped')
  const own = (await request(socket, 'get', '/id', undefined, { 'x-request-id': 'client-9' })).body as { id: string }
  t.equal(own.id, 'client-9', 'an id given with the request is taken, as from an HTTP client without a proxy')
  t.equal(new Set(ids).size, ids.length)
})

t.test('replaceableHeaders is checked at registration', async (t) => {
  for (const [value, message] of [
    ['authorization', /replaceableHeaders must be an array/],
    [['bad name'], /is not a header name/],
    [['host'], /cannot hold 'host'/],
    [['X-Forwarded-For'], /cannot hold 'x-forwarded-for'/],
    [['cookie'], /cannot hold 'cookie'/]
  ] as const) {
    t.throws(() => resolveOptions({ replaceableHeaders: value }, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID', message }, JSON.stringify(value))
  }
  t.same([...resolveOptions({ replaceableHeaders: ['Authorization', 'x-tenant'] }, {}).replaceableHeaders], ['authorization', 'x-tenant'])
  t.same([...resolveOptions({}, {}).replaceableHeaders], ['authorization', 'accept', 'accept-language'], 'the default')
})

t.test('a client cannot override the denied headers', async (t) => {
  const app = await buildApp(t, {}, echo)
  const socket = await connect(t, app, { extraHeaders: { origin: 'http://good.example' } })
  const forged: Record<string, string> = {
    host: 'evil.example',
    origin: 'http://evil.example',
    referer: 'http://evil.example/',
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    forwarded: 'for=6.6.6.6',
    'x-real-ip': '6.6.6.6',
    'content-length': '999',
    'transfer-encoding': 'chunked',
    'content-type': 'text/evil',
    'accept-encoding': 'gzip',
    connection: 'upgrade',
    expect: '100-continue'
  }
  const jwr = await request(socket, 'get', '/echo', undefined, forged)
  t.equal(jwr.statusCode, 200)
  const body = jwr.body as { headers: Record<string, string>, ip: string, host: string }
  for (const name of Object.keys(forged)) {
    t.not(body.headers[name], forged[name], `${name} was not overridden`)
    t.ok(DENIED_REQUEST_HEADERS.has(name) || name.startsWith('x-forwarded-'), `${name} is on the documented list`)
  }
  t.equal(body.headers.origin, 'http://good.example', 'origin stays the handshake origin')
  t.match(body.host, /^127\.0\.0\.1:\d+$/, 'host stays the handshake host')
  t.equal(body.ip, '127.0.0.1')
})

for (const dispatch of MODES) {
  t.test(`${dispatch}: with trustProxy, the handshake x-forwarded-* give the same ip and protocol as over HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, echo, { trustProxy: true })
    const proxied = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }
    const socket = await connect(t, app, { extraHeaders: proxied })
    const jwr = await request(socket, 'get', '/echo', undefined, { 'x-forwarded-for': '6.6.6.6' })
    const viaSocket = jwr.body as { ip: string, protocol: string }
    const viaHttp = (await app.inject({ url: '/echo', headers: proxied })).json() as { ip: string, protocol: string }
    t.equal(viaSocket.ip, '203.0.113.7')
    t.equal(viaSocket.ip, viaHttp.ip)
    t.equal(viaSocket.protocol, viaHttp.protocol)
  })
}

t.test('no header an HTTP client sends makes request.isSocket true', async (t) => {
  const app = await buildApp(t, {}, echo)
  // Every name the plugin could plausibly use, plus symbols' descriptions as header names.
  const spoof: Record<string, string> = {
    'x-socket-id': 'abc',
    'x-is-socket': 'true',
    'x-fastify-sockets': '1',
    'x-sails-socket': '1',
    issocket: 'true',
    'x-socket-context': '{}',
    'fastify-sockets.socketcontext': '1',
    'fastify-sockets.socketstate': '1',
    __sails_io_sdk_version: '1.2.1',
    'x-virtual-request': '1'
  }
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpRequest(`${urlOf(app)}/echo?isSocket=true&__sails_io_sdk_version=1.2.1`, { headers: spoof }, (res) => {
      let data = ''
      res.on('data', (chunk: Buffer) => { data += chunk.toString() })
      res.on('end', () => resolve(data))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(JSON.parse(body).isSocket, false, 'real HTTP request with spoofing headers')
  t.equal((await app.inject({ url: '/echo', headers: spoof })).json().isSocket, false, 'inject with spoofing headers')
})
