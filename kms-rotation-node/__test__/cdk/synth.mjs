// Synthesises the test stacks offline into OUTDIR (a cdk.out): one process for all.
// Usage: node synth.mjs OUTDIR
import { App } from 'aws-cdk-lib'

import { stacks } from './stacks.mjs'

const outdir = process.argv[2]
if (!outdir) {
  console.error('usage: node synth.mjs OUTDIR')
  process.exit(1)
}
const app = new App({ outdir })
stacks(app)
app.synth()
