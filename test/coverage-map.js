// Coverage is measured on the library only (not on tests, helpers, examples or benchmarks).
export default () => ['lib/**/*.ts']
