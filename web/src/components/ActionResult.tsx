import { Alert } from 'antd';
import { useLanguage } from '../i18n';

/** What a form's action came to: done, with what the page says of it, or failed, with why. */
export type Outcome<T extends object> = ({ ok: true } & T) | { ok: false; error: string };

/** A form's outcome where a screen reader hears it change: the success in the page's words, or the failure and its reason. */
export function ActionResult<T extends object>(props: {
  testId: string;
  result: Outcome<T> | undefined;
  success: (done: T) => string;
}) {
  const { t } = useLanguage();
  const { result } = props;
  return (
    <div aria-live="polite" className="mt-3" data-testid={props.testId}>
      {result?.ok === true && <Alert type="success" showIcon title={props.success(result)} />}
      {result?.ok === false && <Alert type="error" showIcon title={t.failed(result.error)} />}
    </div>
  );
}
