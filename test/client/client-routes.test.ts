import t from 'tap'
import Fastify from 'fastify'
import fastifySockets from '../../lib/index.js'
import { buildApp } from '../helpers/app.js'
import { ensureBundle } from '../helpers/bundle.js'

ensureBundle()

t.test('the browser bundle is served at client.path, revalidated by ETag', async (t) => {
  const app = await buildApp(t, {})
  const res = await app.inject('/fastify-sockets.js')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/javascript/)
  t.match(res.body, /io\.sails|sails/, 'the bundle sets up the sails.io.js globals')
  t.ok(res.body.length > 20_000, 'socket.io-client is included')
  const etag = res.headers.etag as string
  t.match(etag, /^"[\w-]+"$/)
  const again = await app.inject({ url: '/fastify-sockets.js', headers: { 'if-none-match': etag } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')

  const moved = await buildApp(t, { client: { path: '/js/realtime.js' } })
  t.equal((await moved.inject('/js/realtime.js')).statusCode, 200)
  t.equal((await moved.inject('/fastify-sockets.js')).statusCode, 404)
})

t.test('/__getcookie answers the JSONP call sails.io.js waits for', async (t) => {
  const app = await buildApp(t, {})
  const res = await app.inject('/__getcookie')
  t.equal(res.statusCode, 200)
  t.equal(res.body, '_sailsIoJSConnect();')
  t.match(res.headers['content-type'], /^application\/javascript/)
})

t.test('client: false disables both routes; client.path: false only the bundle', async (t) => {
  const off = await buildApp(t, { client: false })
  t.equal((await off.inject('/fastify-sockets.js')).statusCode, 404)
  t.equal((await off.inject('/__getcookie')).statusCode, 404)
  const cookieOnly = await buildApp(t, { client: { path: false } })
  t.equal((await cookieOnly.inject('/fastify-sockets.js')).statusCode, 404)
  t.equal((await cookieOnly.inject('/__getcookie')).statusCode, 200)
  const bundleOnly = await buildApp(t, { client: { getCookie: false } })
  t.equal((await bundleOnly.inject('/__getcookie')).statusCode, 404)
})

t.test('bad client options are refused at registration', async (t) => {
  for (const client of [true, 'yes', { path: 'no-slash.js' }, { path: '/a?b' }, { getCookie: 'yes' }, { bogus: 1 }]) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(fastifySockets, { client } as never) }, { code: 'FST_SOCKETS_OPTIONS_INVALID' }, JSON.stringify(client))
  }
})
