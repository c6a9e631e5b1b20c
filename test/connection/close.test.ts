import t from 'tap'
import { runFixture } from '../helpers/process.js'
import { buildApp, connect, request } from '../helpers/app.js'
import Fastify from 'fastify'
import fastifySockets from '../../lib/index.js'

t.test('fastify.close() disconnects sockets and awaits socket.io', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close()) // closed inline below; this covers a failure before that
  await app.register(fastifySockets)
  app.get('/ok', async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const [a, b] = [await connect(t, app), await connect(t, app)]
  t.same((await request(a, 'get', '/ok')).body, { ok: true })
  const reasons = [a, b].map((socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)))
  await app.close()
  // transport close, not 'io server disconnect': clients reconnect to the next server after a restart
  t.same(await Promise.all(reasons), ['transport close', 'transport close'])
  t.equal(app.sockets.io.of('/').sockets.size, 0)
  t.equal(app.server.listening, false)
})

t.test('requests still in flight when closeGrace ends are answered 503', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let aborted = false
  let entered!: () => void
  const inHandler = new Promise<void>((resolve) => { entered = resolve })
  const app = await buildApp(t, { closeGrace: 100 }, (app) => {
    app.get('/slow', async (request) => {
      request.signal.addEventListener('abort', () => { aborted = true })
      entered()
      await gate
      return {}
    })
  })
  const socket = await connect(t, app)
  const pending = request(socket, 'get', '/slow')
  await inHandler // the request is in the route, not merely sent
  const closing = app.close()
  const jwr = await pending
  t.match(jwr, { statusCode: 503, body: { code: 'FST_SOCKETS_SERVER_CLOSING' } })
  t.equal(aborted, true, "the route's request.signal aborted")
  release()
  await closing
})

t.test('no handle is left open: a process that closes its app and clients exits by itself', async (t) => {
  const { code, output, ms } = await runFixture('exit-after-close.ts')
  t.equal(code, 0, `exited by itself (output: ${output.trim()})`)
  t.match(output, /closed/)
  t.comment(`exited after ${ms} ms`)
})
