// Compiled with `tsc --noEmit -p __test__` (scripts/test-node.sh): the README's
// usage, typed against the generated index.d.ts. Never run.
import { Account } from '@aws-sdk/client-account'
import { KMS } from '@aws-sdk/client-kms'
import { Organizations } from '@aws-sdk/client-organizations'
import { STS } from '@aws-sdk/client-sts'

import {
  type AccountReport,
  type AccountReportJson,
  type BaselineState,
  type CheckAccountOptions,
  type Finding,
  type KmsClientLike,
  type KmsRotationError,
  type OrganizationReport,
  type ServiceClientFactory,
  type ProgressEvent,
  type RemediationReport,
  Snapshot,
  checkAccount,
  checkCloudFormation,
  checkKey,
  checkTerraformPlan,
  checkOrganization,
  collect,
  loadSnapshot,
  optionNames,
  remediate,
  remediateKeys,
  remediateOrganization,
  sdkClientFactory,
} from '../index.js'

export async function audit(): Promise<number> {
  // An AWS SDK for JavaScript v3 client, passed as is.
  const kms = new KMS({ region: 'us-east-1', maxAttempts: 1 })
  const report: AccountReport = await checkAccount({
    client: kms,
    maxRotationPeriodDays: 365,
    exemptions: ['tag:rotation-exempt=true', 'alias/vendor-escrow'],
    onProgress: (event: ProgressEvent) => {
      if (event.type === 'keyEvaluated') console.log(`${event.evaluated}/${event.listed}`)
    },
  })
  for (const finding of report.findings.filter((f) => f.status === 'FAIL')) {
    console.log(finding.region, finding.key_arn, finding.message, finding.remediation?.target_arn)
  }
  const plan: RemediationReport = await remediate(report, { client: kms })
  const applied = await remediate(JSON.stringify(report), {
    clientFactory: (region) => new KMS({ region }),
    dryRun: false,
    rotationPeriodDays: 180,
  })
  console.log(plan.summary.WOULD_CHANGE ?? 0, applied.actions.map((a) => a.outcome))
  const json: AccountReportJson = report.toJSON()
  console.log(report.render('csv'), json.findings[0]?.key_arn, JSON.stringify(report.findings[0]))
  const fixed: RemediationReport = await remediateKeys(['alias/payments-db'], {
    client: kms,
    region: 'us-east-1',
    sessionName: undefined,
    maxInFlight: 8,
    dryRun: false,
  })
  console.log(fixed.render('json'), optionNames().join(', '))
  // What changed since the last run, for a CI gate, and SARIF for code scanning.
  const since: AccountReport = await checkAccount({ client: kms, baseline: 'report.json', failOn: 'new' })
  const state: BaselineState | null = since.findings[0]?.baseline_state ?? null
  console.log(since.baseline?.counts.new, state, since.render('sarif'))
  await checkAccount({ client: kms, baseline: report, failOn: 'any' })
  await checkAccount({ client: kms, baseline: json })
  return since.exitCode()
}

export async function builtIn(): Promise<Finding> {
  const everywhere = await checkAccount({ regions: 'all', profile: 'audit', roleArn: 'arn:aws:iam::111122223333:role/Audit' })
  console.log(everywhere.regions.map((r) => `${r.region}: ${r.state}`))
  return checkKey('alias/payments-db', { region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:5000' })
}

export async function offline(): Promise<void> {
  const snapshot: Snapshot = loadSnapshot('examples/data/demo-account.json')
  const collected: Snapshot = await collect('/tmp/account.json', { client: snapshot, regions: snapshot.regions })
  collected.save('/tmp/copy.json')
  console.log(Snapshot.fromJson(JSON.stringify(collected)).accountId, collected.toJSON().regions)
  const options: CheckAccountOptions = { client: snapshot.kmsClient('us-east-1'), regions: ['us-east-1'] }
  await checkAccount(options)
  const fake: KmsClientLike = {
    listKeys: async () => ({ Keys: [] }),
    listAliases: async () => ({ Aliases: [] }),
    describeKey: async () => ({}),
    getKeyRotationStatus: async () => ({ KeyRotationEnabled: false }),
    config: { region: 'us-east-1' },
  }
  await checkAccount({ client: fake })
}

export async function organisation(): Promise<OrganizationReport> {
  // The organisation through your own AWS SDK v3 clients.
  const factory: ServiceClientFactory = sdkClientFactory(
    { KMS, STS, Organizations, Account },
    { endpoint: 'http://127.0.0.1:5000', credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' } },
  )
  const options = { organization: true, roleName: 'KmsRotationAudit', regions: ['us-east-1'], serviceClientFactory: factory }
  const report = await checkOrganization(options)
  await remediateOrganization(report, { ...options, dryRun: true })
  // Or a hand-written factory, choosing per service and account.
  const own: ServiceClientFactory = (service, region, credentials) => {
    const config = { region, credentials, maxAttempts: service === 'kms' ? 1 : 3 }
    switch (service) {
      case 'kms':
        return new KMS(config)
      case 'sts':
        return new STS(config)
      case 'organizations':
        return new Organizations(config)
      default:
        return new Account(config)
    }
  }
  console.log(credentialsExpiry(own))
  return checkOrganization({ organizationalUnit: 'ou-ab12-cdef3456', roleName: 'Audit', regions: ['eu-west-1'], serviceClientFactory: own })
}

function credentialsExpiry(factory: ServiceClientFactory): unknown {
  const expiration = new Date()
  return factory('sts', 'us-east-1', { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't', expiration })
}

export function errors(error: unknown): string | undefined {
  const e = error as KmsRotationError
  switch (e.code) {
    case 'INVALID_INPUT':
      return e.argument
    case 'API_ERROR':
      return `${e.awsCode} ${e.operation} ${e.region}`
    default:
      return e.message
  }
}

export async function misuse(): Promise<void> {
  // @ts-expect-error maxRotationPeriodDays is a number of days
  await checkAccount({ maxRotationPeriodDays: '365' })
  // @ts-expect-error an unknown option
  await checkAccount({ maxRotationDays: 365 })
  // @ts-expect-error regions is a list or 'all'
  await checkAccount({ regions: 'us-east-1' })
  // @ts-expect-error remediate needs a report
  await remediate()
  // @ts-expect-error dryRun is an option of remediation, not of a check
  await checkAccount({ dryRun: false })
  // @ts-expect-error an account scan has regions, not a region
  await checkAccount({ region: 'us-east-1' })
  // @ts-expect-error sdkClientFactory needs the STS and Organizations classes too
  sdkClientFactory({ KMS })
  // @ts-expect-error a factory is called with a service name it knows
  sdkClientFactory({ KMS, STS, Organizations })('s3', 'us-east-1')
}

// The README's declared keys: a plan file, and the template object a CDK test has.
export async function declared(template: object): Promise<string[]> {
  const plan: AccountReport = await checkTerraformPlan('plan.json', { maxRotationPeriodDays: 180 })
  const stack = await checkCloudFormation(template, { parameters: { RotateKeys: 'true' } })
  const fixes = stack.findings
    .filter((f) => f.status === 'FAIL')
    .map((f) => `${f.code?.address}: ${f.code?.fix ?? ''} (line ${f.code?.line ?? '-'})`)
  // @ts-expect-error parameters are CloudFormation's
  await checkTerraformPlan('plan.json', { parameters: { A: 'b' } })
  return [...fixes, String(plan.exitCode())]
}
