// The socket registry of the scoreboard: event and room schemas, one value each. The types in
// sockets.d.ts come from these very values, so the declaration and the runtime cannot drift.
import { Type } from '@sinclair/typebox'

/** Pushed to a game room when a team scores. */
export const Score = Type.Object({
  game: Type.Integer({ minimum: 1 }),
  team: Type.String({ minLength: 1, maxLength: 32 }),
  points: Type.Integer({ minimum: 0 }),
  at: Type.Number()
}, { additionalProperties: false })

/** Pushed to every socket when a game ends. */
export const GameOver = Type.Object({ game: Type.Integer({ minimum: 1 }), winner: Type.String() })

export const events = { score: Score, gameOver: GameOver }

/** One room per game: `game:1`, `game:2`, ... */
export const GameRoom = Type.TemplateLiteral('game:${number}')
/** Everyone watching the lobby. */
export const Lobby = Type.Literal('lobby')
