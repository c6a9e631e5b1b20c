// @fastify/request-context over sockets: a value set in a hook is the route's own, for concurrent socket
// requests as for HTTP ones (one async context per virtual request).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { fastifyRequestContext } from '@fastify/request-context'
import { buildApp, connect, request } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

declare module '@fastify/request-context' {
  interface RequestContextData { tag: string }
}

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyRequestContext, { defaultStoreValues: { tag: 'default' } })
  app.addHook('onRequest', async (request) => { request.requestContext.set('tag', String((request.query as { tag?: string }).tag ?? 'none')) })
  app.get('/tag', async (request) => {
    // an await in between: the context must survive it, and not be another request's
    await new Promise((resolve) => setTimeout(resolve, Number((request.query as { wait?: string }).wait ?? 0)))
    return { tag: request.requestContext.get('tag') }
  })
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/request-context keeps each socket request's values`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const socket = await connect(t, app)
    const one = await both(app, socket, 'get', '/tag?tag=a')
    t.same(one.socket, one.http)
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => request(socket, 'get', `/tag?tag=t${i}&wait=${(i * 7) % 15}`)))
    t.same(answers.map((jwr) => (jwr.body as { tag: string }).tag), Array.from({ length: 20 }, (_, i) => `t${i}`), 'twenty concurrent requests, each its own value')
  })
}
