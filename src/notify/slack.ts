import { SettingsError } from '../config/load.js';
import { chatSink, readAtStart } from './chat-sink.js';
import { FileSecret } from './http.js';
import { DeliveryError } from './outbox.js';
import type { AlertNotice, Sink, SinkDeps, SinkEntry } from './sink.js';
import { describeCommand } from './sink.js';

/** A Slack incoming-webhook message; Mattermost shows `text` and ignores `blocks`. */
export interface SlackMessage {
  text: string;
  blocks: object[];
}

/** Slack's limits: header text 150 characters, section text 3000, field text 2000. */
const LIMITS = { header: 150, section: 3000, field: 2000 } as const;

/** Slack mrkdwn treats &, < and > as markup; object names and summaries must not be able to use it. */
export const escapeMrkdwn = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const VERB: Record<string, string> = {
  raised: 'raised',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  reopened: 'reopened',
};

/**
 * The message of a notice: a plain `text` line for notifications and Mattermost, and blocks for
 * Slack. `cluster` (`--cluster-name`) leads the text and the header, so a channel shared by a fleet
 * says where each alert comes from.
 */
export function slackMessage(n: AlertNotice, cluster = ''): SlackMessage {
  const a = n.alert;
  const verb = VERB[n.type] ?? n.type;
  const where = a.subject.namespace ? `${a.subject.namespace}/${a.subject.name}` : a.subject.name;
  const by = n.by ? ` by ${n.by}` : '';
  const reason = n.type === 'resolved' && a.reason ? ` (${a.reason})` : '';
  const inCluster = cluster ? `[${cluster}] ` : '';
  const text = escapeMrkdwn(
    `[${a.severity}] ${inCluster}AuditAlert ${a.name} ${verb}${by}${reason}: ${a.summary} — ${describeCommand(a.name)}`,
  );
  const field = (title: string, value: string) => ({
    type: 'mrkdwn',
    text: cut(`*${title}*\n${escapeMrkdwn(value)}`, LIMITS.field),
  });
  const risks = a.risks.map((r) => `• ${r.severity}: ${r.message}`).join('\n');
  const blocks: object[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: cut(`${a.severity}: ${inCluster}${a.detection} ${verb}${reason}`, LIMITS.header),
      },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: cut(escapeMrkdwn(a.summary), LIMITS.section) },
      fields: [
        field('Subject', `${a.subject.kind} ${where}`),
        field('State', `${a.state}${by}`),
        field('Detection', a.detection),
        field('Category', a.category),
        ...(cluster ? [field('Cluster', cluster)] : []),
      ],
    },
    ...(risks
      ? [{ type: 'section', text: { type: 'mrkdwn', text: cut(escapeMrkdwn(risks), LIMITS.section) } }]
      : []),
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`${describeCommand(a.name)}`) }],
    },
  ];
  return { text, blocks };
}

/**
 * Slack-compatible incoming webhook (Slack, Mattermost). The URL itself is the credential, so it is
 * read from a file and never logged. Retries as the generic webhook does.
 */
export function slackSink(deps: SinkDeps): Sink {
  const s = deps.settings;
  const secret = new FileSecret(s.slackWebhookUrlFile);
  readAtStart(secret, 'slackWebhookUrlFile');
  try {
    urlOf(secret);
  } catch {
    throw new SettingsError('slackWebhookUrlFile: the file does not hold a URL');
  }
  return chatSink(
    deps,
    'slack',
    (n) => slackMessage(n, s.clusterName),
    (http, m) => http.post(urlOf(secret), JSON.stringify(m)),
  );
}

/** The URL in the file. URL's own error quotes its input, the secret: replaced by one without it. */
function urlOf(secret: FileSecret): URL {
  const value = secret.read();
  try {
    return new URL(value);
  } catch {
    throw new DeliveryError('the Slack webhook URL file does not hold a URL', { retryable: false });
  }
}

/** Registry entry (sinks.ts). */
export const SLACK_SINK: SinkEntry = {
  id: 'slack',
  enabled: (s) => s.slackWebhookUrlFile !== '',
  minSeverity: (s) => s.slackMinSeverity,
  create: slackSink,
};
