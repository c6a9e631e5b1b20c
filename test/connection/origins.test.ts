// S01 (origin matrix over polling and websocket), S02 (production guard), and the no-Origin policy.
import t from 'tap'
import { request as httpRequest } from 'node:http'
import Fastify from 'fastify'
import fastifySockets from '../../lib/index.js'
import { buildApp, connect, urlOf } from '../helpers/app.js'
import type { FastifyInstance } from 'fastify'

const ALLOWED = ['https://app.example.com', 'http://localhost:3000']

// [origin header or undefined, allowed?]
const MATRIX: Array<[string, boolean]> = [
  ['https://app.example.com', true],
  ['http://localhost:3000', true],
  ['https://evil.example', false],
  ['https://app.example.com.evil.example', false], // suffix
  ['https://evil.app.example.com', false], // subdomain
  ['https://evilapp.example.com', false],
  ['http://app.example.com', false], // other scheme
  ['https://app.example.com:8443', false], // other port
  ['http://localhost:3001', false],
  ['http://localhost', false],
  ['https://app.example.com/', false], // not an exact origin
  ['null', false], // sandboxed iframes, file:// pages
  ['', false]
]

/** A raw Engine.IO handshake (what a browser's first polling request is): status and body. */
async function pollingHandshake (app: FastifyInstance, headers: Record<string, string>, query = ''): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(`${urlOf(app)}/socket.io/?EIO=4&transport=polling${query}`, { headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function countConnections (app: FastifyInstance): { n: number } {
  const count = { n: 0 }
  app.sockets.io.on('connection', () => { count.n++ })
  return count
}

t.test('S01: only the exact allowed origins open a socket, over polling and websocket', async (t) => {
  const app = await buildApp(t, { allowedOrigins: ALLOWED })
  const connections = countConnections(app)
  let expected = 0
  for (const [origin, allowed] of MATRIX) {
    const raw = await pollingHandshake(app, { origin })
    if (allowed) {
      t.equal(raw.status, 200, `polling handshake from '${origin}' is answered`)
      t.match(raw.body, /^0\{"sid":/, 'with an Engine.IO open packet')
    } else {
      t.equal(raw.status, 403, `polling handshake from '${origin}' is 403`)
      t.notMatch(raw.body, /sid/, 'and carries no session id')
    }
    for (const transport of ['polling', 'websocket']) {
      const attempt = connect(t, app, { transports: [transport], extraHeaders: { origin }, timeout: 5000 })
      if (allowed) {
        const socket = await attempt
        t.ok(socket.connected, `${transport} from '${origin}' connects`)
        expected++
      } else {
        await t.rejects(attempt, `${transport} from '${origin}' gets connect_error`)
      }
    }
  }
  t.equal(connections.n, expected, 'refused handshakes never reach a connection event')
})

t.test('S01: a handshake without Origin passes by default, and is refused with allowNoOrigin: false', async (t) => {
  const open = await buildApp(t, { allowedOrigins: ALLOWED })
  t.equal((await pollingHandshake(open, {})).status, 200, 'polling without Origin (same-origin GET, Node) passes')
  t.ok(await connect(t, open), 'websocket without Origin (Node client) passes')

  const strict = await buildApp(t, { allowedOrigins: ALLOWED, allowNoOrigin: false })
  const connections = countConnections(strict)
  t.equal((await pollingHandshake(strict, {})).status, 403, 'polling without Origin is refused')
  await t.rejects(connect(t, strict), 'websocket without Origin is refused')
  await t.rejects(connect(t, strict, { transports: ['polling'] }), 'polling client without Origin is refused')
  t.ok(await connect(t, strict, { extraHeaders: { origin: ALLOWED[0] as string } }), 'an allowed origin still connects')
  t.equal(connections.n, 1)
})

t.test('S01: an origin-less handshake a cross-site page could read is refused even with allowNoOrigin', async (t) => {
  const app = await buildApp(t, { allowedOrigins: ALLOWED })
  // <script src=".../socket.io/?EIO=4&transport=polling&j=0"> sends no Origin, carries cookies, and can read
  // the JSONP answer (the session id): that would be a cross-site socket with the user's cookies.
  const jsonp = await pollingHandshake(app, { cookie: 'sid=victim' }, '&j=0')
  t.equal(jsonp.status, 403, 'JSONP handshake without Origin')
  t.notMatch(jsonp.body, /sid/)
  for (const site of ['cross-site', 'same-site']) {
    t.equal((await pollingHandshake(app, { 'sec-fetch-site': site })).status, 403, `no Origin with Sec-Fetch-Site: ${site}`)
  }
  t.equal((await pollingHandshake(app, { 'sec-fetch-site': 'same-origin' })).status, 200, 'same-origin browser GET passes')
  t.equal((await pollingHandshake(app, { origin: ALLOWED[0] as string }, '&j=0')).status, 200, 'JSONP from an allowed origin passes')
})

t.test('S01: allowRequest runs after the origin check and can refuse; refused clients get connect_error', async (t) => {
  const seen: string[] = []
  const app = await buildApp(t, {
    allowedOrigins: ALLOWED,
    allowRequest: async (req) => { seen.push(String(req.headers.origin)); return req.headers.authorization === 'Bearer ok' }
  })
  await t.rejects(connect(t, app, { extraHeaders: { origin: 'https://evil.example', authorization: 'Bearer ok' } }))
  t.same(seen, [], 'a bad origin never reaches allowRequest')
  await t.rejects(connect(t, app, { extraHeaders: { origin: ALLOWED[0] as string, authorization: 'Bearer no' } }))
  t.ok(await connect(t, app, { extraHeaders: { origin: ALLOWED[0] as string, authorization: 'Bearer ok' } }))
  const thrower = await buildApp(t, { allowRequest: () => { throw new Error('boom') } })
  await t.rejects(connect(t, thrower, { transports: ['polling'] }), 'allowRequest that throws refuses, process lives')
  const rejecter = await buildApp(t, { allowRequest: async () => { throw new Error('boom') } })
  await t.rejects(connect(t, rejecter), 'allowRequest that rejects refuses')
})

t.test('S02: NODE_ENV=production without allowedOrigins or allowRequest fails registration', async (t) => {
  const before = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { if (before === undefined) delete process.env.NODE_ENV; else process.env.NODE_ENV = before })
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(fastifySockets) }, { code: 'FST_SOCKETS_ORIGINS_REQUIRED' })
  const allowed = Fastify()
  t.teardown(() => allowed.close())
  await allowed.register(fastifySockets, { allowedOrigins: ['https://app.example.com'] })
  t.ok(allowed.sockets, 'allowedOrigins satisfies the guard')
  const custom = Fastify()
  t.teardown(() => custom.close())
  await custom.register(fastifySockets, { allowRequest: () => true })
  t.ok(custom.sockets, 'allowRequest satisfies the guard')
})
