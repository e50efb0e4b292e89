import { useEffect, useRef, useState, type ReactNode } from 'react';
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/mobile';
import { checkMobileNumber, formatAsTyped } from '../../shared/phone.ts';
import { useLocale, useText } from '../i18n/use-text.tsx';
import { firstCountries } from '../country-list.ts';
import { CountryPicker } from './CountryPicker.tsx';
import { Keypad } from './Keypad.tsx';
import { Screen } from './Screen.tsx';

export type EnteredNumber = { e164: string; international: string; country: string };

type Props = {
  title: string;
  defaultCountry: string;
  /** The profile's countries, listed first by the country picker. */
  countries: readonly string[];
  onNumber: (entered: EnteredNumber) => void;
  /** The step's way out (e.g. back to the choices, or Cancel), shown under the keypad. */
  actions: ReactNode;
};

const maxDigits = 15;

/** Ignore a key the focused control already handles itself (Enter or Space on a button). */
function handledByTarget(event: KeyboardEvent): boolean {
  return (event.target as HTMLElement | null)?.tagName === 'BUTTON' && (event.key === 'Enter' || event.key === ' ');
}

/**
 * Number entry for a shared touch screen: country, live-formatted display, on-screen keypad, and the same keys on a
 * physical keypad (digits, Back = Backspace, Clear = Delete, Enter; Cancel is the step's, renderer/use-keypad.ts). Only a valid mobile number leaves this screen.
 */
export function PhoneEntry({ title, defaultCountry, countries, onNumber, actions }: Props) {
  const text = useText();
  const locale = useLocale();
  const [digits, setDigits] = useState('');
  const [country, setCountry] = useState(defaultCountry);
  const [invalid, setInvalid] = useState(false);
  const [picking, setPicking] = useState(false);
  const pickingNow = useRef(false);
  pickingNow.current = picking;

  const regionNames = new Intl.DisplayNames([locale], { type: 'region' });
  const countryName = (code: string) => regionNames.of(code) ?? code;
  const countryShown = `${countryName(country)} (+${getCountryCallingCode(country as CountryCode)})`;

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
      if (pickingNow.current || event.altKey || event.ctrlKey || event.metaKey || handledByTarget(event)) return;
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

  if (picking) {
    return (
      <CountryPicker
        first={firstCountries(defaultCountry, countries)}
        current={country}
        onPick={(code) => {
          setCountry(code);
          setInvalid(false);
          setPicking(false);
        }}
        onBack={() => setPicking(false)}
      />
    );
  }

  return (
    <Screen title={title} className="phone-entry">
      <div className="phone-fields">
        <p className="lead" data-speak>
          {text('phone.hint')}
        </p>
        <button type="button" className="field country-field" aria-label={`${text('phone.country')}: ${countryShown}`} onClick={() => setPicking(true)}>
          <span className="field-label">{text('phone.country')}</span>
          <span className="country-value">{countryShown}</span>
        </button>
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
