import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType, type ReactNode } from 'react';
import { ConfigProvider, Layout, Segmented } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import {
  DICTIONARIES,
  HTML_LANG,
  initialLanguage,
  LANGUAGES,
  LanguageContext,
  rememberLanguage,
  type Dictionary,
  type Language,
} from './i18n';
import { Operator } from './pages/Operator';

/**
 * A page whose code is loaded when it is first opened, so that each page's first load carries only
 * what it uses: the wallet brings mcl-wasm, the trace page the chain readers and the id module.
 */
function loadedWhenOpened(load: () => Promise<ComponentType>): () => ReactNode {
  const Page = lazy(() => load().then((component) => ({ default: component })));
  return () => (
    <Suspense fallback={null}>
      <Page />
    </Suspense>
  );
}

/** The pages that exist; the navigation links exactly these. */
const PAGES: ReadonlyArray<{ path: string; title: (t: Dictionary) => string; render: () => ReactNode }> = [
  { path: '/operator', title: (t) => t.operatorTitle, render: () => <Operator /> },
  {
    path: '/wallet',
    title: (t) => t.walletTitle,
    render: loadedWhenOpened(() => import('./pages/Wallet').then((module) => module.WalletPage)),
  },
  {
    path: '/trace',
    title: (t) => t.traceTitle,
    render: loadedWhenOpened(() => import('./pages/TraceLookup').then((module) => module.TraceLookup)),
  },
  {
    path: '/regulator',
    title: (t) => t.regTitle,
    render: loadedWhenOpened(() => import('./pages/Regulator').then((module) => module.Regulator)),
  },
];
const [HOME] = PAGES;
const ANTD_LOCALES = { zh: zhCN, en: enUS } as const;
/**
 * Contrast of at least 4.5:1 on white: antd's default blue (#1677ff, 4.1:1) and its tertiary
 * text (labels, 45% black, 3.4:1) are too light for small text.
 */
const THEME = { token: { colorPrimary: '#1d4ed8', colorTextTertiary: 'rgba(0, 0, 0, 0.65)' } };

/** The page of the current path; any other path (/, an old link) shows the first page under its own path. */
function usePage() {
  const find = () => PAGES.find((page) => page.path === location.pathname);
  const [page, setPage] = useState(find);
  useEffect(() => {
    if (page === undefined && HOME) {
      history.replaceState(null, '', HOME.path);
      setPage(HOME);
    }
    const onPop = () => setPage(find() ?? HOME);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [page]);
  const go = (path: string) => {
    history.pushState(null, '', path);
    setPage(find());
  };
  return { page: page ?? HOME, go };
}

export function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const t = DICTIONARIES[language];
  const { page, go } = usePage();
  useEffect(() => {
    rememberLanguage(language);
    document.title = `${page ? page.title(t) : ''} · ${t.productName}`;
  }, [language, page, t]);
  const context = useMemo(() => ({ language, t }), [language, t]);

  return (
    <LanguageContext.Provider value={context}>
      <ConfigProvider locale={ANTD_LOCALES[language]} theme={THEME}>
        <a className="skip-link" href="#main">
          {t.skipToContent}
        </a>
        <Layout className="!min-h-screen">
          <Layout.Header className="flex flex-wrap items-center gap-x-8 gap-y-2 !h-auto !px-6 !py-3 !leading-normal">
            <div className="flex items-baseline gap-3 text-white">
              <span className="text-xl font-semibold" data-testid="product-name">
                {t.productName}
              </span>
              <span className="text-sm text-slate-200">{t.productTagline}</span>
            </div>
            <nav aria-label={t.navigation} className="flex-1">
              <ul className="m-0 flex list-none gap-4 p-0">
                {PAGES.map((each) => (
                  <li key={each.path}>
                    <a
                      href={each.path}
                      aria-current={each === page ? 'page' : undefined}
                      // ! beats antd's own link colour, which would be blue on the dark header
                      className={`rounded px-2 py-1 !text-white underline-offset-4 hover:underline ${each === page ? '!bg-blue-700' : ''}`}
                      onClick={(event) => {
                        event.preventDefault();
                        go(each.path);
                      }}
                    >
                      {each.title(t)}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <Segmented<Language>
              aria-label={t.languageSwitch}
              data-testid="language"
              value={language}
              onChange={setLanguage}
              options={LANGUAGES.map((each) => ({
                value: each,
                label: <span lang={HTML_LANG[each]}>{DICTIONARIES[each].languageName}</span>,
              }))}
            />
          </Layout.Header>
          <Layout.Content id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl p-6">
            {page?.render()}
          </Layout.Content>
        </Layout>
      </ConfigProvider>
    </LanguageContext.Provider>
  );
}
