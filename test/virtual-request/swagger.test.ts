// @fastify/swagger with socket-served routes: the same route schemas validate and serialize socket requests
// as HTTP ones, and the generated document is served over a socket as over HTTP.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import { buildApp, connect } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, { openapi: { info: { title: 'pets', version: '1.0.0' } } })
  app.post('/pets', {
    schema: {
      body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
      response: { 201: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } } }
    }
  }, async (request, reply) => reply.code(201).send({ id: 1, name: (request.body as { name: string }).name, internal: 'hidden' }))
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: routes documented by @fastify/swagger validate socket requests as HTTP ones`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    for (const data of [{ name: 'rex' }, { name: '' }, {}]) {
      const { http, socket: jwr } = await both(app, socket, 'post', '/pets', { data })
      t.same(jwr, http, `${JSON.stringify(data)}: ${http.statusCode}`)
    }
    const doc = await both(app, socket, 'get', '/openapi.json')
    t.same(doc.socket, doc.http, 'the generated document')
    t.match(doc.socket.body, { openapi: /^3\./, paths: { '/pets': { post: {} } } })
  })
}
