// @fastify/under-pressure over sockets, side by side with HTTP: its status route, and the 503 it answers
// every request with while the health check fails.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import fastifyUnderPressure from '@fastify/under-pressure'
import { buildApp, connect, waitFor } from '../helpers/app.js'
import { MODES, both } from '../helpers/parity.js'

for (const dispatch of MODES) {
  t.test(`${dispatch}: @fastify/under-pressure sheds socket requests as HTTP ones`, async (t) => {
    let healthy = true
    const app = await buildApp(t, { dispatch }, async (app: FastifyInstance) => {
      await app.register(fastifyUnderPressure, { exposeStatusRoute: true, healthCheck: async () => healthy, healthCheckInterval: 20 })
      app.get('/work', async () => ({ done: true }))
    })
    const socket = await connect(t, app)
    for (const url of ['/status', '/work']) {
      const { http, socket: jwr } = await both(app, socket, 'get', url)
      t.same(jwr, http, `${url} while healthy: ${http.statusCode}`)
    }
    healthy = false
    await waitFor(async () => (await app.inject('/work')).statusCode === 503, 'the health check to fail', 5000)
    for (const url of ['/status', '/work']) {
      const { http, socket: jwr } = await both(app, socket, 'get', url)
      t.same(jwr, http, `${url} under pressure: ${http.statusCode}`)
      t.equal(jwr.statusCode, 503)
    }
  })
}
