import { useIntl } from 'react-intl';
import type { MessageId } from './en.ts';

export type Text = (id: MessageId, values?: Record<string, string | number>) => string;

/** Interface text by catalogue key, formatted as ICU in the current locale. */
export function useText(): Text {
  const intl = useIntl();
  return (id, values) => intl.formatMessage({ id }, values);
}
