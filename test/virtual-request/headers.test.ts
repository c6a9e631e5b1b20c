import t from 'tap'
import { request as httpRequest } from 'node:http'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { DENIED_REQUEST_HEADERS } from '../../lib/index.js'

function echo (app: import('fastify').FastifyInstance): void {
  app.get('/echo', async (request) => ({
    headers: request.headers,
    ip: request.ip,
    host: request.host,
    protocol: request.protocol,
    isSocket: request.isSocket
  }))
}

t.test('handshake headers are the base of every virtual request', async (t) => {
  const app = await buildApp(t, {}, echo)
  const socket = await connect(t, app, {
    extraHeaders: { authorization: 'Bearer from-handshake', 'user-agent': 'my-agent/1.0', 'x-app': 'handshake' }
  })
  const jwr = await request(socket, 'get', '/echo')
  const body = jwr.body as { headers: Record<string, string>, ip: string }
  t.equal(body.headers.authorization, 'Bearer from-handshake')
  t.equal(body.headers['user-agent'], 'my-agent/1.0')
  t.equal(body.headers['x-app'], 'handshake')
  t.equal(body.headers['sec-websocket-key'], undefined, 'transport headers of the handshake do not leak in')
  t.equal(body.headers.upgrade, undefined)
  t.equal(body.ip, '127.0.0.1', 'request.ip is the socket address')

  const over = await request(socket, 'get', '/echo', undefined, { authorization: 'Bearer per-request', 'x-app': 'request' })
  const overBody = over.body as { headers: Record<string, string> }
  t.equal(overBody.headers.authorization, 'Bearer per-request', 'authorization may be given per request')
  t.equal(overBody.headers['x-app'], 'request', 'ordinary headers may be given per request')
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

t.test('with trustProxy, the handshake x-forwarded-* give the same ip and protocol as over HTTP', async (t) => {
  const app = await buildApp(t, {}, echo, { trustProxy: true })
  const proxied = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }
  const socket = await connect(t, app, { extraHeaders: proxied })
  const jwr = await request(socket, 'get', '/echo', undefined, { 'x-forwarded-for': '6.6.6.6' })
  const viaSocket = jwr.body as { ip: string, protocol: string }
  const viaHttp = (await app.inject({ url: '/echo', headers: proxied })).json() as { ip: string, protocol: string }
  t.equal(viaSocket.ip, '203.0.113.7')
  t.equal(viaSocket.ip, viaHttp.ip)
  t.equal(viaSocket.protocol, viaHttp.protocol)
})

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
