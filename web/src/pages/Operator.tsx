import type { ReactNode } from 'react';
import { Alert, Card, Descriptions, Table, Tag, Typography } from 'antd';
import { getJson, type ConnectorName, type HealthReport, type OpsSummary } from '../api';
import { HTML_LANG, useLanguage } from '../i18n';
import { usePolling } from '../polling';

const REFRESH_MS = 5000;
/** Solid tags with white text (contrast above 4.5:1): antd's light success/error tags are too pale to read. */
const statusColor = (ok: boolean) => (ok ? '#15803d' : '#b91c1c');
/** Column titles stay on one line: narrow screens would break Chinese words between characters. */
const heading = (text: string) => <span className="whitespace-nowrap">{text}</span>;

/** A titled card that is its own landmark: the heading names the section for screen readers. */
export function Panel(props: { id: string; title: ReactNode; extra?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={`${props.id}-title`}>
      <Card
        title={
          <h2 id={`${props.id}-title`} className="!m-0 text-lg">
            {props.title}
          </h2>
        }
        extra={props.extra}
      >
        {props.children}
      </Card>
    </section>
  );
}

/** Both answers in one poll, so the page's numbers are of one moment. */
const loadOperator = async () => {
  const [health, summary] = await Promise.all([
    getJson<HealthReport>('/healthz', [200, 503]),
    getJson<OpsSummary>('/v1/ops/summary'),
  ]);
  return { health, summary };
};

export function Operator() {
  const { language, t } = useLanguage();
  const { data, error, at, paused } = usePolling(loadOperator, REFRESH_MS);
  const components = Object.entries(data?.health.components ?? {});
  const intakeRows = (
    Object.entries(data?.summary.intake ?? {}) as Array<[ConnectorName, OpsSummary['intake'][ConnectorName]]>
  ).map(([connector, counts]) => ({ key: connector, connector, ...counts }));
  const queue = data?.summary.queue;

  return (
    <div className="flex flex-col gap-6">
      <div>
        <Typography.Title level={1} className="!mb-1">
          {t.operatorTitle}
        </Typography.Title>
        <Typography.Paragraph className="!mb-0">{t.operatorIntro}</Typography.Paragraph>
        <p className="m-0 text-gray-700" aria-live="polite" data-testid="refresh-state">
          {paused ? t.paused : at ? t.updatedAt(at.toLocaleTimeString(HTML_LANG[language])) : ''}
        </p>
      </div>
      {error !== undefined && <Alert type="error" showIcon title={t.loadFailed(error)} />}

      <Panel
        id="components"
        title={t.componentsTitle}
        extra={
          data && (
            <Tag variant="solid" color={statusColor(data.health.status === 'ok')} data-testid="health-overall">
              {data.health.status === 'ok' ? t.allOk : t.degraded}
            </Tag>
          )
        }
      >
        <ul className="m-0 grid list-none grid-cols-1 gap-3 p-0 sm:grid-cols-2 lg:grid-cols-3">
          {components.map(([name, health]) => (
            <li
              key={name}
              data-testid={`component-${name}`}
              data-status={health.status}
              className="flex flex-wrap items-center gap-x-2 gap-y-1"
            >
              <Tag variant="solid" color={statusColor(health.status === 'ok')}>
                {health.status === 'ok' ? t.componentOk : t.componentDown}
              </Tag>
              <span className="font-medium">{name}</span>
              <span className="whitespace-nowrap text-gray-600">{t.latency(health.latencyMs)}</span>
              {/* a problem takes its own line under its component: it can be a long message with a URL */}
              {health.error !== undefined && <span className="w-full break-words text-red-700">{health.error}</span>}
            </li>
          ))}
        </ul>
      </Panel>

      <Panel id="intake" title={t.intakeTitle}>
        <Table
          data-testid="intake"
          size="small"
          pagination={false}
          dataSource={intakeRows}
          columns={[
            {
              title: heading(t.connector),
              dataIndex: 'connector',
              render: (name: ConnectorName) => t.connectorNames[name],
            },
            { title: heading(t.received), dataIndex: 'received', align: 'right' },
            { title: heading(t.acknowledged), dataIndex: 'acknowledged', align: 'right' },
            { title: heading(t.rejected), dataIndex: 'rejected', align: 'right' },
          ]}
        />
      </Panel>

      <Panel id="queue" title={t.queueTitle}>
        {data && queue === null && <Alert type="warning" showIcon title={t.queueUnavailable} />}
        {queue && (
          <Descriptions
            data-testid="queue"
            column={{ xs: 1, sm: 2, lg: 4 }}
            items={[
              { key: 'waiting', label: t.waiting, children: queue.waiting },
              { key: 'active', label: t.active, children: queue.active },
              { key: 'delayed', label: t.delayed, children: queue.delayed },
              { key: 'dead', label: t.dead, children: <span data-testid="dead-letters">{queue.dead}</span> },
            ]}
          />
        )}
      </Panel>

      <Panel id="links" title={t.linksTitle}>
        <ul className="m-0 flex list-disc flex-col gap-2 pl-5">
          <li>
            {data?.summary.temporalUi ? (
              <a href={data.summary.temporalUi} target="_blank" rel="noreferrer" data-testid="temporal-ui">
                {t.temporalUi} <span className="sr-only">{t.opensInNewTab}</span>
              </a>
            ) : (
              data && <span>{t.noTemporalUi}</span>
            )}
          </li>
          <li>
            <a href="/docs/api" data-testid="api-docs">
              {t.apiDocs}
            </a>
          </li>
        </ul>
      </Panel>
    </div>
  );
}
