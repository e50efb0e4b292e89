import type { Locale } from '../../shared/contract/primitives.ts';
import { en, type Catalogue } from './en.ts';
import { es } from './es.ts';
import { id } from './id.ts';
import { ja } from './ja.ts';
import { ptBR } from './pt-BR.ts';

export const catalogues: Record<Locale, Catalogue> = { ja, en, es, 'pt-BR': ptBR, id };

/** Each language is offered in its own name, so a person who cannot read the current one still finds theirs. */
export const languageNames: Record<Locale, string> = {
  ja: '日本語',
  en: 'English',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
  id: 'Bahasa Indonesia',
};
