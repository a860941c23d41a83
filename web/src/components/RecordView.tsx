import { useMemo } from 'react';
import { Alert, Descriptions, Table, Tag, Typography } from 'antd';
import {
  RecordContentError,
  recordView,
  type DocumentView,
  type MedicationView,
  type RecordView as View,
  type ResultView,
} from '../../../core/records/content-view';
import { useLanguage, type Dictionary } from '../i18n';

/** Dark red on white (7:1) for the abnormal marker, which also carries a symbol and words. */
const ABNORMAL_COLOR = '#b91c1c';
const heading = (text: string) => <span className="whitespace-nowrap">{text}</span>;

/**
 * A decrypted record shown readably: patient, results (units, reference ranges, flags), document
 * text, medications, and what else the record holds. Every piece is rendered as text, never as
 * HTML; content that cannot be read shows why, with the text as received.
 */
export function RecordView({ text, contentType }: { text: string; contentType: string }) {
  const { t } = useLanguage();
  const read = useMemo((): { view: View } | { error: string } => {
    try {
      return { view: recordView(text, contentType) };
    } catch (error) {
      return { error: error instanceof RecordContentError ? error.message : String(error) };
    }
  }, [text, contentType]);

  if ('error' in read)
    return (
      <div className="flex flex-col gap-3" data-testid="record-view">
        <Alert type="warning" showIcon title={t.recUnreadable} description={read.error} data-testid="record-error" />
        <details>
          <summary>{t.recRawText}</summary>
          <pre className="max-h-96 overflow-auto whitespace-pre-wrap break-all text-sm">{text.slice(0, 20_000)}</pre>
        </details>
      </div>
    );
  const { view } = read;
  const empty = !view.patient && view.results.length + view.documents.length + view.medications.length === 0;
  return (
    <div className="flex flex-col gap-5" data-testid="record-view" data-format={view.format}>
      <Typography.Text type="secondary">
        {t.recKind(view.format === 'hl7v2' ? 'HL7 v2' : 'FHIR', view.kind)}
      </Typography.Text>
      {view.patient && <Patient patient={view.patient} t={t} />}
      {view.results.length > 0 && <Results results={view.results} t={t} />}
      {view.documents.length > 0 && <Documents documents={view.documents} t={t} />}
      {view.medications.length > 0 && <Medications medications={view.medications} t={t} />}
      {empty && <Typography.Paragraph>{t.recNothing}</Typography.Paragraph>}
      {view.other.length > 0 && (
        <section aria-labelledby="record-other">
          <h3 id="record-other" className="text-base font-semibold">
            {t.recOther}
          </h3>
          <p className="m-0" data-testid="record-other">
            {view.other.map((each) => `${each.name} ×${each.count}`).join(', ')}
          </p>
        </section>
      )}
    </div>
  );
}

function Patient({ patient, t }: { patient: NonNullable<View['patient']>; t: Dictionary }) {
  const sexes: Record<string, string> = t.recSexes;
  const sex = patient.sex && (sexes[patient.sex.charAt(0).toUpperCase()] ?? patient.sex);
  return (
    <section aria-labelledby="record-patient">
      <h3 id="record-patient" className="text-base font-semibold">
        {t.recPatient}
      </h3>
      <Descriptions
        data-testid="record-patient"
        size="small"
        bordered
        column={{ xs: 1, md: 2 }}
        items={[
          { key: 'name', label: t.recName, children: patient.names.join('; ') },
          {
            key: 'ids',
            label: t.recIdentifiers,
            children: patient.identifiers
              .map((id) => [id.value, [id.type, id.system].filter(Boolean).join(', ')].filter(Boolean).join(' — '))
              .join('; '),
          },
          { key: 'birth', label: t.recBirthDate, children: patient.birthDate },
          { key: 'sex', label: t.recSex, children: sex },
        ]}
      />
    </section>
  );
}

/** A flag in words; abnormal ones with a warning sign and their code, so colour is never the only cue. */
function Flags({ result, t }: { result: ResultView; t: Dictionary }) {
  const names: Record<string, string> = t.recFlagNames;
  const words = result.flags.map((flag) => names[flag.toUpperCase()] ?? flag).join(', ');
  if (!result.abnormal) return <span>{words}</span>;
  return (
    <Tag variant="solid" color={ABNORMAL_COLOR} className="!whitespace-normal" data-testid="abnormal-flag">
      <span aria-hidden="true">⚠ </span>
      {words} ({result.flags.join(', ')})<span className="sr-only"> — {t.recAbnormalMark}</span>
    </Tag>
  );
}

function Results({ results, t }: { results: ResultView[]; t: Dictionary }) {
  // one table per panel, in the order panels first appear
  const panels = [...new Set(results.map((r) => r.panel))];
  return (
    <section aria-labelledby="record-results" className="flex flex-col gap-3">
      <h3 id="record-results" className="text-base font-semibold">
        {t.recResults}
      </h3>
      {panels.map((panel) => (
        <Table<ResultView & { key: number }>
          key={panel ?? ''}
          data-testid="record-results"
          size="small"
          pagination={false}
          // one set of column widths for every panel, so their columns line up
          tableLayout="fixed"
          title={panel ? () => <span className="font-medium">{t.recPanel(panel)}</span> : undefined}
          dataSource={results.filter((r) => r.panel === panel).map((r, key) => ({ ...r, key }))}
          columns={[
            {
              title: heading(t.recTest),
              key: 'test',
              width: '26%',
              render: (_, r) => (
                <span>
                  {r.name}
                  {r.code && r.code !== r.name && <span className="ml-2 text-gray-600">{r.code}</span>}
                </span>
              ),
            },
            {
              title: heading(t.recValue),
              key: 'value',
              width: '14%',
              render: (_, r) =>
                r.attachment ? (
                  <em>{t.recAttachment(r.attachment)}</em>
                ) : (
                  <span
                    className={`whitespace-pre-wrap ${r.abnormal ? 'font-semibold' : ''}`}
                    data-testid="result-value"
                  >
                    {r.value}
                  </span>
                ),
            },
            { title: heading(t.recUnits), dataIndex: 'units', width: '11%' },
            { title: heading(t.recRange), dataIndex: 'referenceRange', width: '16%' },
            { title: heading(t.recFlag), key: 'flag', width: '13%', render: (_, r) => <Flags result={r} t={t} /> },
            { title: heading(t.recTime), dataIndex: 'time' },
          ]}
        />
      ))}
    </section>
  );
}

function Documents({ documents, t }: { documents: DocumentView[]; t: Dictionary }) {
  return (
    <section aria-labelledby="record-documents" className="flex flex-col gap-3">
      <h3 id="record-documents" className="text-base font-semibold">
        {t.recDocuments}
      </h3>
      {documents.map((doc, index) => (
        <article key={index} className="rounded border border-gray-200 p-3" data-testid="record-document">
          <h4 className="m-0 mb-2 text-sm font-semibold">
            {doc.kind === 'note'
              ? doc.title
                ? t.recNote(doc.title)
                : t.recNoteUntitled
              : (doc.title ?? t.recDocument)}
          </h4>
          {doc.attachment ? (
            <em>{t.recAttachment(doc.attachment)}</em>
          ) : (
            <p className="m-0 whitespace-pre-wrap">{doc.text}</p>
          )}
        </article>
      ))}
    </section>
  );
}

function Medications({ medications, t }: { medications: MedicationView[]; t: Dictionary }) {
  return (
    <section aria-labelledby="record-medications">
      <h3 id="record-medications" className="text-base font-semibold">
        {t.recMedications}
      </h3>
      <Table<MedicationView & { key: number }>
        data-testid="record-medications"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={medications.map((m, key) => ({ ...m, key }))}
        columns={[
          { title: heading(t.recMedication), dataIndex: 'name' },
          { title: heading(t.recStep), dataIndex: 'step', render: (step: MedicationView['step']) => t.recSteps[step] },
          {
            title: heading(t.recDose),
            dataIndex: 'dose',
            render: (dose?: string) => <span className="whitespace-nowrap">{dose}</span>,
          },
          { title: heading(t.recRoute), dataIndex: 'route' },
          {
            title: heading(t.recInstructions),
            dataIndex: 'instructions',
            render: (text?: string) => <span className="whitespace-pre-wrap">{text}</span>,
          },
          { title: heading(t.recTime), dataIndex: 'time' },
        ]}
      />
    </section>
  );
}
