// What front ends see in a JWR, for the three clients a Sails front end may run: sails.io.js 1.2.1
// (socket.io-client 2, Engine.IO 3), the plugin's SDK, and socket.io-client 4 alone. The answers of
// sails.io.js' own suite (test/basic.test.js: 'ok!', JSON, null, 0, a 501, and `undefined` for an answer
// without a body), and binary answers delivered byte for byte as a Buffer in Node.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { connect as sdkConnect } from '../../lib/client/index.js'
import { buildApp, connect, request, urlOf, type Teardown } from '../helpers/app.js'
import { sailsIo, type SailsJwr } from '../helpers/sails-io.js'

const BYTES = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(20_000)])
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

function routes (app: FastifyInstance): void {
  app.get('/hello', async (_request, reply) => reply.type('text/plain').send('ok!'))
  app.get('/someJSON', async () => ({ foo: 'bar' }))
  app.get('/someNull', async (_request, reply) => reply.type('application/json').send('null'))
  app.get('/someZero', async (_request, reply) => reply.type('application/json').send('0'))
  app.get('/someError', async (_request, reply) => reply.code(501).send({ blah: 'blah' }))
  // sails.io.js' /headersRemove: the route sends a header it did not get, i.e. nothing
  app.get('/headersRemove', async (request, reply) => reply.send(request.headers['x-test-header-one']))
  app.delete('/nothing', async (_request, reply) => reply.code(204).send())
  app.get('/bytes', async (_request, reply) => reply.type('application/octet-stream').send(BYTES))
}

// sails.io.js' expectations, from its test/basic.test.js
const EXPECTED: Array<[string, string, unknown, number]> = [
  ['get', '/hello', 'ok!', 200],
  ['get', '/someJSON', { foo: 'bar' }, 200],
  ['get', '/someNull', null, 200],
  ['get', '/someZero', 0, 200],
  ['get', '/someError', { blah: 'blah' }, 501],
  ['get', '/headersRemove', undefined, 200],
  ['delete', '/nothing', undefined, 204]
]

type Ask = (method: string, url: string) => Promise<{ body: unknown, statusCode: number }>

function clients (t: Teardown, app: FastifyInstance): Array<[string, () => Promise<Ask>]> {
  return [
    ['sails.io.js 1.2.1 (websocket)', async () => sailsAsk(t, app, ['websocket'])],
    ['sails.io.js 1.2.1 (polling)', async () => sailsAsk(t, app, ['polling'])],
    ['fastify-sockets/client', async () => {
      const socket = sdkConnect(urlOf(app))
      t.teardown(() => { socket.disconnect() })
      return async (method, url) => {
        const jwr = await socket.request({ method, url })
        return { body: jwr.body, statusCode: jwr.statusCode }
      }
    }],
    ['socket.io-client 4', async () => {
      const socket = await connect(t, app)
      return async (method, url) => {
        const jwr = await request(socket, method, url)
        return { body: jwr.body, statusCode: jwr.statusCode }
      }
    }]
  ]
}

function sailsAsk (t: Teardown, app: FastifyInstance, transports: string[]): Ask {
  const io = sailsIo(t, urlOf(app), { transports })
  return async (method, url) => await new Promise((resolve) => {
    io.socket.request({ method, url }, (body: unknown, jwr: SailsJwr) => resolve({ body, statusCode: jwr.statusCode }))
  })
}

t.test('the answers of sails.io.js\' own suite, and bytes, for every client', async (t) => {
  const app = await buildApp(t, {}, routes)
  for (const [name, make] of clients(t, app)) {
    const ask = await make()
    for (const [method, url, body, statusCode] of EXPECTED) {
      const answer = await ask(method, url)
      t.same(answer, { body, statusCode }, `${name}: ${method} ${url}`)
      t.equal(typeof answer.body, typeof body, `${name}: ${url} body is ${typeof body}`)
    }
    const bytes = await ask('get', '/bytes')
    t.ok(Buffer.isBuffer(bytes.body), `${name}: binary arrives as a Buffer`)
    t.equal(sha256(bytes.body as Buffer), sha256(BYTES), `${name}: byte for byte`)
  }
})

t.test('the SDK\'s error message names a binary body by its size, not its bytes', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.get('/denied.bin', async (_request, reply) => reply.code(403).type('application/octet-stream').send(BYTES))
  })
  const socket = sdkConnect(urlOf(app))
  t.teardown(() => { socket.disconnect() })
  const jwr = await socket.get('/denied.bin')
  t.equal(jwr.statusCode, 403)
  t.match(jwr.error?.message, `Server responded with a 403 status code: <${BYTES.length} bytes>`)
})
