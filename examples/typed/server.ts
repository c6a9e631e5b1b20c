// A typed scoreboard: one TypeBox schema per route validates and types HTTP and socket requests alike
// (@fastify/type-provider-typebox), and the pushed events and rooms are typed by the socket registry
// (registry.ts + sockets.d.ts). Run: node --conditions=fastify-sockets-source --import tsx examples/typed/server.ts
// (the condition resolves `fastify-sockets` to this repository's lib/; an app that installed it needs none).
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifySockets, { defineRoom } from 'fastify-sockets'
import { events, GameRoom, Lobby, Score } from './registry.js'

/** Which games each player may watch (stands in for your users table). */
const PLAYERS: Record<string, readonly number[]> = { alice: [1, 2], bob: [2] }

const GameParams = Type.Object({ game: Type.Integer({ minimum: 1 }) })

export async function buildScoreboard (options: { validate?: boolean } = {}) {
  const app = Fastify({ logger: process.env.LOG === '1' }).withTypeProvider<TypeBoxTypeProvider>()

  await app.register(fastifySockets, {
    events,
    rooms: {
      lobby: Lobby,
      // `game` is a number: the room's `${number}` placeholder, parsed. Refusing answers 403.
      game: defineRoom(GameRoom, (request, [game]) => PLAYERS[String(request.headers['x-player'])]?.includes(game) === true)
    },
    validate: options.validate ?? process.env.NODE_ENV !== 'production'
  })

  // Socket only: watch a game. `request.params.game` is a number, over HTTP and sockets alike.
  app.put('/games/:game/watchers', { schema: { params: GameParams } }, async (request, reply) => {
    if (!request.isSocket) return reply.code(400).send({ error: 'socket only' })
    await app.sockets.join(request, `game:${request.params.game}`)
    return { watching: request.params.game }
  })

  // Score: every watcher of the game hears it, the scorer gets the reply instead.
  app.post('/games/:game/scores', {
    schema: {
      params: GameParams,
      body: Type.Object({ team: Type.String({ minLength: 1, maxLength: 32 }), points: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      response: { 201: Score }
    }
  }, async (request, reply) => {
    const score = { game: request.params.game, team: request.body.team, points: request.body.points, at: Date.now() }
    app.sockets.broadcast(`game:${score.game}`, 'score', score, { except: request })
    return reply.code(201).send(score)
  })

  app.post('/games/:game/end', {
    schema: { params: GameParams, body: Type.Object({ winner: Type.String({ minLength: 1 }) }) }
  }, async (request) => {
    app.sockets.blast('gameOver', { game: request.params.game, winner: request.body.winner })
    return { ended: request.params.game }
  })

  // The registry as JSON Schema, for clients and code generators.
  app.get('/sockets/schemas', async () => app.sockets.schemas())

  return app
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildScoreboard()
  const address = await app.listen({ port: Number(process.env.PORT ?? 3001), host: process.env.HOST ?? '127.0.0.1' })
  console.log(`typed scoreboard listening at ${address}`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
}
