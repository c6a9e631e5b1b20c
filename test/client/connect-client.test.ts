import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifySockets from '../../lib/index.js'

async function app (t: { teardown (fn: () => unknown): void }, opts = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySockets, opts)
  app.get('/me', async (request) => ({
    isSocket: request.isSocket,
    cookie: request.headers.cookie ?? null,
    auth: request.headers.authorization ?? null
  }))
  return app
}

t.test('an app that is not listening: connectClient listens on 127.0.0.1 and returns a connected socket', async (t) => {
  const server = await app(t)
  const client = await server.sockets.connectClient()
  t.equal(client.isConnected(), true)
  t.equal(server.server.listening, true)
  t.match(server.server.address(), { address: '127.0.0.1' })
  const jwr = await client.get('/me')
  t.same(jwr.body, { isSocket: true, cookie: null, auth: null })
  const second = await server.sockets.connectClient()
  t.not(second.id, client.id, 'each call is a new socket')
})

t.test('concurrent calls share one listen', async (t) => {
  const server = await app(t)
  const clients = await Promise.all([1, 2, 3].map(() => server.sockets.connectClient()))
  t.same(clients.map((c) => c.isConnected()), [true, true, true])
})

t.test('an app already listening is reached at its address; options reach the SDK', async (t) => {
  const server = await app(t)
  await server.listen({ port: 0, host: '127.0.0.1' })
  const client = await server.sockets.connectClient({
    initialConnectionHeaders: { cookie: 'sid=abc' },
    headers: { authorization: 'Bearer t' }
  })
  t.same((await client.get('/me')).body, { isSocket: true, cookie: 'sid=abc', auth: 'Bearer t' })
})

t.test('clients are closed with the app; a closing app refuses new ones', async (t) => {
  const server = await app(t)
  const client = await server.sockets.connectClient()
  const gone = new Promise<string>((resolve) => client.on('disconnect', resolve))
  await server.close()
  t.equal(await gone, 'io client disconnect')
  t.equal(client.isConnected(), false)
  t.equal(client.isConnecting(), false)
  await t.rejects(server.sockets.connectClient(), { code: 'FST_SOCKETS_CONNECT_CLIENT' })
})

t.test('a refused handshake rejects with a coded error', async (t) => {
  const server = await app(t, { allowRequest: () => false })
  await t.rejects(server.sockets.connectClient(), { code: 'FST_SOCKETS_CONNECT_CLIENT' })
})
