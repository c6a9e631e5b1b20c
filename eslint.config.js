import neostandard from 'neostandard'

// neostandard (standard style, TypeScript aware), as Fastify's own repositories use.
export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'bench/results/**', 'bench/profiles/**', 'bench/.sails/**', '.tap/**'] }),
  {
    rules: {
      // TypeBox template literal patterns are written as `Type.TemplateLiteral('chat:${string}')`, on purpose
      'no-template-curly-in-string': 'off',
      // `void promise` marks a fire-and-forget call whose errors are handled inside it
      'no-void': ['error', { allowAsStatement: true }],
      // TypeBox's idiom is a schema and its type under one name (`const User = Type.Object(...)`,
      // `type User = Static<typeof User>`); TypeScript itself reports real redeclarations
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  {
    // type tests declare values only to look at their types
    files: ['types/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' }
  }
]
