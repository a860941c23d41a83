import type { Shape } from '../i18n';

/** The strings of the QR components (components/QrCode.tsx, components/QrScanner.tsx), in both languages. */
const en = {
  qrScan: 'Scan with the camera',
  qrStop: 'Stop the camera',
  qrUse: 'Use',
  qrCameraView: 'Camera view',
  qrLooking: 'Looking for a QR code…',
  qrTaken: (value: string) => `Read: ${value}`,
  qrTakenSecret: 'A code was read (it is not shown).',
  qrCameraRefused: 'The camera was not allowed. Allow it in the browser, or paste the code below.',
  qrNoCamera: 'No camera was found. Paste or type the code below.',
  qrInsecure: 'The camera is only available over https or on this computer. Paste or type the code below.',
  qrCameraFailed: (why: string) => `The camera could not start (${why}). Paste or type the code below.`,
  qrCopy: 'Copy',
  qrCopied: 'Copied',
} as const;

const zh: Shape<typeof en> = {
  qrScan: '用摄像头扫描',
  qrStop: '关闭摄像头',
  qrUse: '使用',
  qrCameraView: '摄像头画面',
  qrLooking: '正在寻找二维码…',
  qrTaken: (value) => `已读取：${value}`,
  qrTakenSecret: '已读取一个码（不显示）。',
  qrCameraRefused: '未获准使用摄像头。请在浏览器中允许，或在下方粘贴。',
  qrNoCamera: '未找到摄像头。请在下方粘贴或输入。',
  qrInsecure: '摄像头仅在 https 或本机访问时可用。请在下方粘贴或输入。',
  qrCameraFailed: (why) => `摄像头无法启动（${why}）。请在下方粘贴或输入。`,
  qrCopy: '复制',
  qrCopied: '已复制',
};

export const qr = { en, zh };
