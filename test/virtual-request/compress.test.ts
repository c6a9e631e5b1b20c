// @fastify/compress over sockets: virtual requests carry `accept-encoding: identity`, so compression answers
// plain bodies (a JWR carries the body itself), never a 406, even with onUnsupportedEncoding; a route's
// already gzipped payload is inflated (inflateIfDeflated) as for an HTTP client that accepts identity only.
import t from 'tap'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import fastifyCompress from '@fastify/compress'
import { buildApp, connect, request } from '../helpers/app.js'
import { MODES, expectedOf } from '../helpers/parity.js'

const BIG = { items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })) }

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyCompress, {
    global: true,
    threshold: 0,
    inflateIfDeflated: true,
    onUnsupportedEncoding: (encoding, _request, reply) => {
      reply.code(406)
      return `we do not support the ${String(encoding)} encoding`
    }
  })
  app.get('/json', async () => BIG)
  app.get('/text', async (_request, reply) => reply.type('text/plain').send('plain text '.repeat(100)))
  app.get('/gzipped', async (_request, reply) => reply.type('application/json').send(gzipSync(JSON.stringify(BIG))))
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/compress with onUnsupportedEncoding answers sockets with plain bodies`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    for (const path of ['/json', '/text', '/gzipped']) {
      const identity = await app.inject({ url: path, headers: { 'accept-encoding': 'identity' } })
      const jwr = await request(socket, 'get', path)
      t.equal(jwr.statusCode, 200, `${path}: 200, not 406`)
      t.equal(jwr.statusCode, identity.statusCode, `${path}: as HTTP with accept-encoding: identity`)
      t.same(jwr.body, expectedOf(identity), `${path}: the plain body`)
      t.equal(jwr.headers['content-encoding'], identity.headers['content-encoding'], `${path}: content-encoding ${String(identity.headers['content-encoding'])}`)
    }
    t.same((await request(socket, 'get', '/gzipped')).body, BIG, 'a gzipped payload reaches the socket inflated')
    t.same((await request(socket, 'get', '/json', undefined, { 'accept-encoding': 'gzip' })).body, BIG, 'a per-request accept-encoding changes nothing')
    const unsupported = await app.inject({ url: '/json', headers: { 'accept-encoding': 'compress-only' } })
    t.equal(unsupported.statusCode, 406, 'HTTP with an encoding it cannot give: 406 (the hook is live)')
    const gzip = await app.inject({ url: '/json', headers: { 'accept-encoding': 'gzip' } })
    t.equal(gzip.headers['content-encoding'], 'gzip', 'HTTP that accepts gzip gets gzip')
  })
}
