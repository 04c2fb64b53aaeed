// Core errors become `Error`s with a stable `code` and the details in fields.
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'

import { Snapshot, checkAccount, collect, loadSnapshot } from '../index.js'
import { DEMO, rejectsWith } from './helpers.mjs'

const scratch = () => mkdtempSync(join(tmpdir(), 'kms-rotation-node-'))

it('INVALID_INPUT names the argument as JavaScript spells it', async () => {
  const error = await rejectsWith(
    checkAccount({ client: loadSnapshot(DEMO), maxRotationPeriodDays: 3000 }),
    'INVALID_INPUT',
    /^invalid maxRotationPeriodDays "3000": KMS accepts rotation periods of 90 to 2560 days$/,
  )
  assert.equal(error.argument, 'maxRotationPeriodDays')
})

it('MALFORMED_SNAPSHOT carries the file, line and column; IO the path', () => {
  const path = join(scratch(), 'broken.json')
  writeFileSync(path, '{\n  "regions": {\n    "us-east-1": { "keys": [ } }\n}\n')
  assert.throws(
    () => loadSnapshot(path),
    (error) => {
      assert.ok(error instanceof Error)
      assert.equal(error.code, 'MALFORMED_SNAPSHOT')
      assert.equal(error.path, path)
      assert.equal(error.line, 3)
      assert.equal(typeof error.column, 'number')
      assert.match(error.message, /line 3/)
      return true
    },
  )
  assert.throws(() => Snapshot.fromJson('[]'), { code: 'MALFORMED_SNAPSHOT', line: 1 })
  assert.throws(() => loadSnapshot(join(scratch(), 'missing.json')), (error) => {
    assert.equal(error.code, 'IO')
    assert.match(error.path, /missing\.json$/)
    assert.match(error.message, /No such file/)
    return true
  })
  assert.throws(() => loadSnapshot(42), { code: 'INVALID_INPUT', argument: 'path' })
})

it('IO when collect cannot write its file', async () => {
  const error = await rejectsWith(
    collect(join(scratch(), 'no', 'such', 'dir', 'out.json'), { client: loadSnapshot(DEMO) }),
    'IO',
  )
  assert.match(error.path, /out\.json$/)
})

it('API_ERROR carries the AWS code, operation and region', async (t) => {
  // A stand-in AWS endpoint that refuses everything, as a restrictive SCP would.
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'AccessDeniedException',
      })
      response.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'not allowed: account:ListRegions' }))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const previous = process.env.AWS_REGION
  process.env.AWS_REGION = 'us-east-1' // the home region `'all'` discovers regions from
  t.after(() => (previous === undefined ? delete process.env.AWS_REGION : (process.env.AWS_REGION = previous)))
  const error = await rejectsWith(
    checkAccount({
      regions: 'all',
      endpointUrl: `http://127.0.0.1:${server.address().port}`,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    }),
    'API_ERROR',
    /ListRegions in us-east-1 failed: AccessDeniedException: not allowed/,
  )
  assert.equal(error.awsCode, 'AccessDeniedException')
  assert.equal(error.awsMessage, 'not allowed: account:ListRegions')
  assert.equal(error.operation, 'ListRegions')
  assert.equal(error.region, 'us-east-1')
})

it('CONFIGURATION when no client serves a requested region', async () => {
  await rejectsWith(checkAccount({ client: loadSnapshot(DEMO), regions: ['ap-south-1'] }), 'CONFIGURATION', /ap-south-1/)
})
