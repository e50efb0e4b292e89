import { useEffect, useRef, useState, type ReactNode } from 'react';
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/mobile';
import { checkMobileNumber, formatAsTyped } from '../../shared/phone.ts';
import { useLocale, useText } from '../i18n/use-text.tsx';
import { Keypad } from './Keypad.tsx';
import { Screen } from './Screen.tsx';

export type EnteredNumber = { e164: string; international: string; country: string };

type Props = {
  title: string;
  defaultCountry: string;
  onNumber: (entered: EnteredNumber) => void;
  /** The step's way out (e.g. back to the choices, or Cancel), shown under the keypad. */
  actions: ReactNode;
};

const offeredCountries = ['JP', 'US', 'GB', 'ES', 'BR', 'ID', 'HR', 'MX'];
const maxDigits = 15;

/** Ignore a key the focused control already handles itself (Enter or Space on a button, arrows in a list). */
function handledByTarget(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  const tag = target?.tagName;
  if (tag === 'SELECT') return !/^\d$/.test(event.key);
  return tag === 'BUTTON' && (event.key === 'Enter' || event.key === ' ');
}

/**
 * Number entry for a shared touch screen: country, live-formatted display, on-screen keypad, and the same keys on a
 * physical keypad (digits, Back = Backspace, Clear = Delete, Enter; Cancel is the step's, renderer/use-keypad.ts). Only a valid mobile number leaves this screen.
 */
export function PhoneEntry({ title, defaultCountry, onNumber, actions }: Props) {
  const text = useText();
  const locale = useLocale();
  const [digits, setDigits] = useState('');
  const [country, setCountry] = useState(defaultCountry);
  const [invalid, setInvalid] = useState(false);

  const countries = offeredCountries.includes(defaultCountry) ? offeredCountries : [defaultCountry, ...offeredCountries];
  const regionNames = new Intl.DisplayNames([locale], { type: 'region' });
  const countryName = (code: string) => regionNames.of(code) ?? code;

  const type = (digit: string) => {
    setInvalid(false);
    setDigits((current) => (current.length < maxDigits ? current + digit : current));
  };
  const back = () => {
    setInvalid(false);
    setDigits((current) => current.slice(0, -1));
  };
  const clear = () => {
    setInvalid(false);
    setDigits('');
  };
  const enter = () => {
    const checked = checkMobileNumber(digits, country);
    if (checked.ok) onNumber({ e164: checked.e164, international: checked.international, country });
    else setInvalid(true);
  };

  const keys = useRef({ type, back, clear, enter });
  keys.current = { type, back, clear, enter };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || handledByTarget(event)) return;
      const action = /^\d$/.test(event.key)
        ? () => keys.current.type(event.key)
        : { Backspace: keys.current.back, Delete: keys.current.clear, Enter: keys.current.enter }[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Screen title={title} className="phone-entry">
      <div className="phone-fields">
        <p className="lead" data-speak>
          {text('phone.hint')}
        </p>
        <label className="field">
          <span className="field-label">{text('phone.country')}</span>
          <select
            value={country}
            onChange={(event) => {
              setCountry(event.target.value);
              setInvalid(false);
            }}
          >
            {countries.map((code) => (
              <option key={code} value={code}>
                {countryName(code)} (+{getCountryCallingCode(code as CountryCode)})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{text('phone.number')}</span>
          <input
            className="phone-display"
            type="text"
            readOnly
            inputMode="none"
            autoComplete="off"
            value={formatAsTyped(digits, country)}
            aria-invalid={invalid}
            aria-describedby={invalid ? 'phone-error' : undefined}
          />
        </label>
        {invalid && (
          <p id="phone-error" className="error" role="alert">
            {text('phone.invalid', { country: countryName(country) })}
          </p>
        )}
      </div>
      <Keypad onDigit={type} onClear={clear} onBack={back} onEnter={enter} />
      <div className="actions phone-actions">{actions}</div>
    </Screen>
  );
}
