// Offline means instant, and evidence that re-checks itself, through the Node door:
// a recorded ThrottlingException in a snapshot is final at once (one attempt);
// checkAccount({ evidence }) writes the facts, the report and a manifest that
// verifyEvidence re-checks offline to the same report, naming what was changed.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { KMS } from '@aws-sdk/client-kms'

import { Snapshot, checkAccount, loadSnapshot, verifyEvidence } from '../index.js'
import { DEMO, assumeFreshAccount, keyMetadata, motoEndpoint, rejectsWith } from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const scratch = () => mkdtempSync(join(tmpdir(), 'kms-rotation-node-evidence-'))
const beside = (path, what) => path.replace(/\.json$/, `.${what}.json`)

describe('offline means instant', () => {
  it('a recorded ThrottlingException is final at once: ERROR after one attempt', async () => {
    const region = 'us-east-1'
    const keys = Array.from({ length: 31 }, (_, i) => {
      const id = `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`
      return {
        KeyMetadata: keyMetadata(region, id),
        RotationStatus: { KeyRotationEnabled: true, RotationPeriodInDays: 365 },
      }
    })
    keys[30].Errors = { GetKeyRotationStatus: { Code: 'ThrottlingException', Message: 'Rate exceeded' } }
    const snapshot = Snapshot.fromJson(JSON.stringify({ regions: { [region]: { keys } } }))
    const attempts = []
    const report = await checkAccount({ client: snapshot, onCall: (call) => attempts.push(call) })
    const errors = report.findings.filter((f) => f.status === 'ERROR')
    assert.deepEqual(
      errors.map((f) => f.error.code),
      ['ThrottlingException'],
    )
    assert.equal(report.summary.PASS, 30)
    assert.equal(report.stats.retries, 0)
    assert.equal(report.stats.api_calls.GetKeyRotationStatus, 31)
    for (let i = 0; i < 50 && attempts.length < 33; i++) await new Promise((resolve) => setImmediate(resolve))
    assert.ok(attempts.length > 0 && attempts.every((a) => a.attempt === 1))
  })
})

describe('evidence', () => {
  it('checkAccount({ evidence }) writes evidence that verifyEvidence re-checks, and names tampering', async () => {
    const path = join(scratch(), 'evidence.json')
    const policy = { exemptions: ['tag:rotation-exempt=true'] }
    const report = await checkAccount({ client: loadSnapshot(DEMO), ...policy, evidence: path })
    const reportFile = beside(path, 'report')
    const manifestFile = beside(path, 'manifest')
    assert.deepEqual(JSON.parse(readFileSync(reportFile, 'utf8')).findings, report.toJSON().findings)
    const again = await checkAccount({ client: loadSnapshot(path), ...policy })
    assert.deepEqual(again.toJSON().findings, report.toJSON().findings)

    const verified = await verifyEvidence(path)
    assert.equal(verified.verified, true, verified.differences.join('\n'))
    assert.deepEqual(verified.run_specific_fields, [
      'source',
      'stats.api_calls',
      'stats.retries',
      'stats.throttled',
      'stats.duration_ms',
    ])
    assert.equal((await verifyEvidence(manifestFile)).verified, true)

    const original = readFileSync(reportFile, 'utf8')
    writeFileSync(reportFile, original.replace('"FAIL"', '"PASS"'))
    const tampered = await verifyEvidence(path)
    assert.equal(tampered.verified, false)
    assert.match(tampered.differences.join('\n'), /was changed after it was written/)
    assert.match(tampered.differences.join('\n'), /findings\[/)
    writeFileSync(reportFile, original)

    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
    manifest.tool_version = '0.0.1'
    writeFileSync(manifestFile, JSON.stringify(manifest))
    const older = await verifyEvidence(path)
    assert.equal(older.verified, false)
    assert.match(older.differences.join('\n'), /written by kms-rotation 0\.0\.1/)

    await rejectsWith(verifyEvidence(DEMO), 'INVALID_INPUT', /not an evidence manifest/)
  })

  it('evidence of a live check on the emulator verifies offline', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const account = await assumeFreshAccount(endpoint)
    const kms = new KMS({ region: 'us-east-1', endpoint, credentials: account.credentials, maxAttempts: 1 })
    const on = (await kms.createKey({ Description: 'evidence on' })).KeyMetadata.KeyId
    await kms.enableKeyRotation({ KeyId: on, RotationPeriodInDays: 365 })
    await kms.createKey({ Description: 'evidence off' })
    const path = join(scratch(), 'live.json')
    const report = await checkAccount({
      endpointUrl: endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      roleArn: account.roleArn,
      regions: ['us-east-1'],
      evidence: path,
    })
    assert.deepEqual(report.findings.map((f) => f.status).sort(), ['FAIL', 'PASS'])
    const verified = await verifyEvidence(path)
    assert.equal(verified.verified, true, verified.differences.join('\n'))
  })
})
