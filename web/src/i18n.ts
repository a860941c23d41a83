import { createContext, useContext } from 'react';
import { traceStrings } from './i18n/trace';
import { records } from './i18n/records';
import { qr } from './i18n/qr';
import { regulator } from './i18n/regulator';
import { walletStrings } from './i18n/wallet';

export type Language = 'zh' | 'en';
export const LANGUAGES: readonly Language[] = ['zh', 'en'];

/** Every string the app shows, in both languages: a key missing from one is a type error. */
const en = {
  ...records.en,
  ...qr.en,
  ...regulator.en,
  productName: 'Yilian',
  productTagline: 'Medical records and drug traceability',
  skipToContent: 'Skip to content',
  navigation: 'Main navigation',
  languageSwitch: 'Language',
  languageName: 'English',
  operatorTitle: 'Operator',
  operatorIntro: 'The engine’s components, its intake doors and its queue, refreshed every few seconds.',
  componentsTitle: 'Components',
  componentOk: 'ok',
  componentDown: 'down',
  latency: (ms: number) => `${ms} ms`,
  allOk: 'Every component is ok',
  degraded: 'Some components are down',
  intakeTitle: 'Intake',
  connector: 'Door',
  received: 'Received',
  acknowledged: 'Acknowledged',
  rejected: 'Refused',
  connectorNames: { mllp: 'HL7 v2 over MLLP', erp: 'ERP (REST)', fhir: 'FHIR pull' },
  queueTitle: 'Intake queue',
  waiting: 'Waiting',
  active: 'Being dispatched',
  delayed: 'Waiting for a retry',
  dead: 'Dead letters',
  queueUnavailable: 'The queue could not be read from Redis just now.',
  linksTitle: 'Tools',
  temporalUi: 'Temporal Web UI (workflow histories)',
  apiDocs: 'API reference',
  noTemporalUi: 'The Temporal Web UI is not run by this engine (Temporal is external).',
  updatedAt: (time: string) => `Updated ${time}`,
  paused: 'Paused while this tab is hidden',
  loadFailed: (what: string) => `Could not load ${what}; retrying.`,
  opensInNewTab: '(opens in a new tab)',
  ...traceStrings.en,
  ...walletStrings.en,
} as const;

export type Shape<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => string
    ? (...args: A) => string
    : T[K] extends string
      ? string
      : Shape<T[K]>;
};
export type Dictionary = Shape<typeof en>;

const zh: Dictionary = {
  ...records.zh,
  ...qr.zh,
  ...regulator.zh,
  productName: '医链',
  productTagline: '医疗记录与药品追溯',
  skipToContent: '跳到正文',
  navigation: '主导航',
  languageSwitch: '语言',
  languageName: '中文',
  operatorTitle: '运维',
  operatorIntro: '引擎各组件、接入通道与队列的状态，每隔几秒刷新一次。',
  componentsTitle: '组件',
  componentOk: '正常',
  componentDown: '故障',
  latency: (ms) => `${ms} 毫秒`,
  allOk: '所有组件正常',
  degraded: '部分组件故障',
  intakeTitle: '接入',
  connector: '通道',
  received: '已接收',
  acknowledged: '已确认',
  rejected: '已拒绝',
  connectorNames: { mllp: 'HL7 v2（MLLP）', erp: 'ERP（REST）', fhir: 'FHIR 拉取' },
  queueTitle: '接入队列',
  waiting: '等待中',
  active: '分发中',
  delayed: '等待重试',
  dead: '死信',
  queueUnavailable: '暂时无法从 Redis 读取队列。',
  linksTitle: '工具',
  temporalUi: 'Temporal Web UI（工作流历史）',
  apiDocs: 'API 参考',
  noTemporalUi: '本引擎未运行 Temporal Web UI（Temporal 为外部服务）。',
  updatedAt: (time) => `更新于 ${time}`,
  paused: '标签页隐藏时暂停刷新',
  loadFailed: (what) => `无法加载${what}，正在重试。`,
  opensInNewTab: '（在新标签页打开）',
  ...traceStrings.zh,
  ...walletStrings.zh,
};

export const DICTIONARIES: Readonly<Record<Language, Dictionary>> = { en, zh };
/** `<html lang>` for each language. */
export const HTML_LANG: Readonly<Record<Language, string>> = { zh: 'zh-CN', en: 'en' };

const STORAGE_KEY = 'yilian.language';

/** The language chosen before (localStorage), else the browser's first preference, else Chinese. */
export function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'zh' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('en') ? 'en' : 'zh';
}

export function rememberLanguage(language: Language): void {
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = HTML_LANG[language];
}

export const LanguageContext = createContext<{ language: Language; t: Dictionary }>({ language: 'zh', t: zh });
export const useLanguage = (): { language: Language; t: Dictionary } => useContext(LanguageContext);
