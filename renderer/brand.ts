import { useEffect } from 'react';
import type { Brand } from '../shared/contract/brand.ts';

const properties = { primary: '--primary', onPrimary: '--on-primary', background: '--bg', surface: '--surface', text: '--text' } as const;

/**
 * The business's colours and typeface on the root while its step (or, between steps, the terminal's own business)
 * is on screen. Set through the CSSOM, which the page's CSP (style-src 'self') allows, unlike a style attribute in
 * markup. High contrast replaces the brand: its own black-and-yellow theme is what a customer asked for.
 */
export function useBrand(brand: Brand | undefined, highContrast: boolean): void {
  useEffect(() => {
    const style = document.documentElement.style;
    const apply = brand && !highContrast;
    for (const [key, property] of Object.entries(properties)) {
      if (apply) style.setProperty(property, brand.colours[key as keyof typeof properties]);
      else style.removeProperty(property);
    }
    if (apply) style.setProperty('--brand-font', brand.typeface.map((family) => `"${family}"`).join(', '));
    else style.removeProperty('--brand-font');
  }, [brand, highContrast]);
}
