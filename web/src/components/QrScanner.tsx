import { useEffect, useId, useRef, useState } from 'react';
import { Alert, Button, Input, Space, type InputRef } from 'antd';
import { useLanguage, type Dictionary } from '../i18n';

/** How often a frame is decoded: fast enough to feel instant, slow enough to leave the CPU to the page. */
const FRAME_MS = 150;
/** Frames are decoded at most this wide: jsQR's cost grows with the pixels, a QR code needs few. */
const MAX_WIDTH = 640;

type Status =
  { kind: 'idle' } | { kind: 'scanning' } | { kind: 'scanned'; shown?: string } | { kind: 'error'; message: string };

/**
 * A value taken from a QR code through the camera (getUserMedia, decoded by jsQR in the page), or
 * pasted or typed into a field labelled `label` (without one, only the camera: the page has its own
 * field). With `secret` (a trace code), the value is never displayed, echoed or kept in the page:
 * the field masks it, and is replaced by an empty one once the value is handed to `onValue`.
 */
export function QrScanner({
  onValue,
  label,
  secret = false,
}: {
  onValue: (value: string) => void;
  label?: string;
  secret?: boolean;
}) {
  const { t } = useLanguage();
  const id = useId();
  const video = useRef<HTMLVideoElement>(null);
  const field = useRef<InputRef>(null);
  const stop = useRef<() => void>(() => undefined);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  /** A new key mounts a new, empty field: the input keeps its own copy of what was typed. */
  const [fieldKey, setFieldKey] = useState(0);
  useEffect(() => () => stop.current(), []);

  const deliver = (value: string) => {
    setStatus({ kind: 'scanned', shown: secret ? undefined : value });
    onValue(value);
  };

  const scan = async () => {
    stop.current();
    setStatus({ kind: 'scanning' });
    let stream: MediaStream;
    try {
      if (!(navigator.mediaDevices as MediaDevices | undefined)) throw new DOMException('', 'SecurityError');
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (error) {
      setStatus({ kind: 'error', message: cameraProblem(t, error) });
      return;
    }
    const element = video.current;
    if (!element) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    // the decoder is loaded only by those who scan: the first load stays small
    const { default: jsQR } = await import('jsqr');
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    stop.current = () => {
      clearTimeout(timer);
      for (const track of stream.getTracks()) track.stop();
      element.srcObject = null;
      stop.current = () => undefined;
    };
    element.srcObject = stream;
    await element.play().catch(() => undefined);
    const tick = () => {
      if (context && element.videoWidth > 0) {
        const scale = Math.min(1, MAX_WIDTH / element.videoWidth);
        canvas.width = Math.round(element.videoWidth * scale);
        canvas.height = Math.round(element.videoHeight * scale);
        context.drawImage(element, 0, 0, canvas.width, canvas.height);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' });
        if (found && found.data !== '') {
          stop.current();
          deliver(found.data);
          return;
        }
      }
      timer = setTimeout(tick, FRAME_MS);
    };
    tick();
  };

  const submitTyped = () => {
    const input = field.current?.input;
    const value = input?.value.trim() ?? '';
    if (!input || value === '') return;
    if (secret) setFieldKey((key) => key + 1);
    deliver(value);
  };

  const scanning = status.kind === 'scanning';
  return (
    <div className="flex flex-col gap-3" data-testid="qr-scanner">
      <Space wrap>
        {scanning ? (
          <Button
            onClick={() => {
              stop.current();
              setStatus({ kind: 'idle' });
            }}
          >
            {t.qrStop}
          </Button>
        ) : (
          <Button onClick={() => void scan()} data-testid="qr-scan">
            {t.qrScan}
          </Button>
        )}
      </Space>
      {/* always mounted, so the stream has somewhere to play; shown only while scanning */}
      <video
        ref={video}
        muted
        playsInline
        aria-label={t.qrCameraView}
        className={scanning ? 'w-full max-w-sm rounded border border-gray-300' : 'hidden'}
      />
      {label !== undefined && (
        <div className="flex flex-col gap-1">
          <label htmlFor={id}>{label}</label>
          <Space.Compact className="w-full max-w-xl">
            {/* uncontrolled: a controlled input would copy a secret into its value attribute */}
            {secret ? (
              <Input.Password
                key={fieldKey}
                id={id}
                ref={field}
                visibilityToggle={false}
                autoComplete="off"
                spellCheck={false}
                onPressEnter={submitTyped}
                data-testid="qr-typed"
              />
            ) : (
              <Input
                id={id}
                ref={field}
                autoComplete="off"
                spellCheck={false}
                onPressEnter={submitTyped}
                data-testid="qr-typed"
              />
            )}
            <Button type="primary" onClick={submitTyped} data-testid="qr-use">
              {t.qrUse}
            </Button>
          </Space.Compact>
        </div>
      )}
      <div aria-live="polite" data-testid="qr-status">
        {scanning && <span>{t.qrLooking}</span>}
        {status.kind === 'scanned' && (
          <span className="break-all">{status.shown === undefined ? t.qrTakenSecret : t.qrTaken(status.shown)}</span>
        )}
        {status.kind === 'error' && <Alert type="warning" showIcon title={status.message} />}
      </div>
    </div>
  );
}

function cameraProblem(t: Dictionary, error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError') return t.qrCameraRefused;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t.qrNoCamera;
  if (name === 'SecurityError') return t.qrInsecure;
  return t.qrCameraFailed(error instanceof Error ? error.message : String(error));
}
