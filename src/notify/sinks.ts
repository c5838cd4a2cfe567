import { ALERTMANAGER_SINK } from './alertmanager.js';
import { EVENTS_SINK } from './events.js';
import { POLICY_REPORT_SINK } from './policyreport.js';
import type { SinkEntry } from './sink.js';
import { SLACK_SINK } from './slack.js';
import { WEBHOOK_SINK } from './webhook.js';

/**
 * Every notification sink, as registry entries (STYLE 5): main.ts hands this table to the
 * `Notifier` (router.ts), which builds the enabled ones. A new sink is a module and a line here.
 */
export const SINKS: readonly SinkEntry[] = [
  EVENTS_SINK,
  ALERTMANAGER_SINK,
  WEBHOOK_SINK,
  SLACK_SINK,
  POLICY_REPORT_SINK,
];
