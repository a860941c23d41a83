import { useMemo } from 'react';
import { Typography } from 'antd';
import { useLanguage } from '../i18n';
import { qrSvgPath } from '../qr-path';

/**
 * `value` as a QR code (SVG, medium error correction), named for screen readers by `label`, with
 * the value beside it as text to copy: a person without a camera can still pass it on.
 */
export function QrCode({ value, label, size = 224 }: { value: string; label: string; size?: number }) {
  const { t } = useLanguage();
  const { modules, path } = useMemo(() => qrSvgPath(value), [value]);
  return (
    <figure className="m-0 inline-flex flex-col items-center gap-2" data-testid="qr-code">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${modules} ${modules}`}
        width={size}
        height={size}
        shapeRendering="crispEdges"
      >
        <rect width={modules} height={modules} fill="#fff" />
        <path d={path} fill="#000" />
      </svg>
      <figcaption className="max-w-full text-center">
        <Typography.Text code copyable={{ text: value, tooltips: [t.qrCopy, t.qrCopied] }} className="break-all">
          {value}
        </Typography.Text>
      </figcaption>
    </figure>
  );
}
