// Types of `kms-rotation/lambda` (lambda.js): continuous evaluation's AWS Lambda handlers.
import type { InvocationSummary, RemediateKeysOptions, ServiceClientFactory } from './index'

/** The environment variable with the EventBridge handler's rule parameters (JSON). */
export declare const RULE_PARAMETERS_ENV: 'KMS_ROTATION_RULE_PARAMETERS'
/**
 * The environment variable that sends the findings to Security Hub too: `true` or `false`
 * (unset or empty: `false`; anything else rejects with `INVALID_INPUT` naming it).
 */
export declare const TO_SECURITY_HUB_ENV: 'KMS_ROTATION_TO_SECURITY_HUB'
/** The environment variable naming the role the EventBridge handler assumes in another account. */
export declare const CROSS_ACCOUNT_ROLE_ENV: 'KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME'

/** What a handler reads of Lambda's context. */
export interface LambdaContext {
  invokedFunctionArn?: string
  getRemainingTimeInMillis?: () => number
}

/** A Lambda handler: the invocation's summary, or a rejection with `API_ERROR` and the AWS code. */
export type Handler = (event: object, context?: LambdaContext) => Promise<InvocationSummary>

/** The AWS Config custom rule's handler, with clients from the environment. */
export declare const configRuleHandler: Handler
/** The EventBridge rule's handler, with clients from the environment. */
export declare const eventHandler: Handler

/** Your own clients and options for a handler. */
export interface HandlerSettings extends Omit<RemediateKeysOptions, 'region'> {
  /** The region the function runs in (default: `AWS_REGION`). */
  region?: string
  /** A KMS client for a region (default: the SDK v3 `KMS` client from the environment). */
  clientFactory?: (region: string) => object
}

/** A Config rule handler over your clients. */
export declare function makeConfigRuleHandler(settings?: HandlerSettings & { configClient?: object }): Handler
/**
 * An EventBridge handler over your clients; `ruleParameters` default to `KMS_ROTATION_RULE_PARAMETERS`.
 * A key of another account is checked through `crossAccountRoleName` (default:
 * `KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME`), the role assumed in its account with
 * `serviceClientFactory`'s STS and KMS clients (default: the SDK v3's, unless `clientFactory` is
 * given); it is judged, but neither remediated nor delivered to Security Hub from here.
 */
export declare function makeEventHandler(
  settings?: HandlerSettings & {
    ruleParameters?: Record<string, string> | string
    crossAccountRoleName?: string
    serviceClientFactory?: ServiceClientFactory
  },
): Handler
/** The EventBridge event pattern that delivers exactly the events `eventHandler` follows. */
export declare function eventPattern(): object
