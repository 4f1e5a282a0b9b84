/** A user-facing string in both languages the product speaks. */
export interface Text {
  en: string;
  ja: string;
}

export type Lang = keyof Text;

export function text(en: string, ja: string): Text {
  return { en, ja };
}

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

/** Count terminal columns: CJK and full-width characters take two. */
export function displayWidth(value: string): number {
  let columns = 0;
  for (const char of value) columns += WIDE.test(char) ? 2 : 1;
  return columns;
}

/** Pick the language of a Text; a plain string (a file value, a key) is the same in both. */
export function localize(value: string | Text, lang: Lang): string {
  return typeof value === 'string' ? value : value[lang];
}

/** Pick the language of a locale string such as `ja_JP.UTF-8`; anything else is English. */
export function langFromLocale(locale: string | undefined): Lang | undefined {
  if (locale === undefined || locale === '') return undefined;
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** Follow POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG. */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const lang = langFromLocale(env[name]);
    if (lang !== undefined) return lang;
  }
  return 'en';
}
