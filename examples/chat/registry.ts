// The chat's socket registry: what the server pushes, and which rooms exist. sockets.d.ts types
// the sockets API from these values; the plugin validates against them at run time.
import { Type } from '@sinclair/typebox'

const Name = Type.String({ minLength: 1, maxLength: 32 })

/** Pushed to a room when someone says something in it. */
export const Message = Type.Object({
  room: Type.String(),
  from: Name,
  text: Type.String({ minLength: 1, maxLength: 500 }),
  at: Type.Number()
})

/** Pushed to a room whenever someone joins, leaves, disconnects or changes name: who is in it now. */
export const Presence = Type.Object({
  room: Type.String(),
  members: Type.Array(Name)
})

export const events = { message: Message, presence: Presence }

/** `chat:<room>`, one socket.io room per chat room. */
export const ChatRoom = Type.TemplateLiteral('chat:${string}')

export const rooms = { chat: ChatRoom }
