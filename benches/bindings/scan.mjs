// Times the offline scan of a snapshot file through the Node binding.
//
// Usage: node benches/bindings/scan.mjs FILE   (prints "node <median ms>")
// Each run loads the file, checks every key and serialises the report to JSON,
// as benches/binding_overhead.rs does in Rust.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { checkAccount, loadSnapshot } = require('../../kms-rotation-node/index.js')

const path = process.argv[2]
const runs = Number(process.env.RUNS ?? 5)
const times = []
for (let i = 0; i < runs; i++) {
  const started = performance.now()
  const report = await checkAccount({ client: loadSnapshot(path) })
  const text = JSON.stringify(report)
  if (report.findings.length !== 10000 || !text) throw new Error('unexpected report')
  times.push(performance.now() - started)
}
times.sort((a, b) => a - b)
console.log(`node ${times[Math.floor(times.length / 2)].toFixed(1)}`)
