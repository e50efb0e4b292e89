import { z } from 'zod';
import { contrastRatio } from '../contrast.ts';

const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour as #rrggbb');

/** The kiosk's own colours the brand's are drawn against (renderer/styles.css :root): they must read on it too. */
export const KIOSK_NEUTRALS = { muted: '#3d4a44', surfaceAlt: '#e3ebe7', selected: '#dff1e8' } as const;

/** WCAG 2.2 AA 1.4.3: 4.5:1 for text. Every pair below is drawn as text somewhere, so all use it. */
export const AA_TEXT = 4.5;

/** Which colour is drawn on which, as the screen uses them (text, headings, buttons, the ticked box). */
const pairs = [
  ['text', 'background'],
  ['text', 'surface'],
  ['text', 'surfaceAlt'],
  ['text', 'selected'],
  ['muted', 'background'],
  ['muted', 'surface'],
  ['onPrimary', 'primary'],
  ['primary', 'background'],
  ['primary', 'surface'],
] as const;

/**
 * A business's look on the kiosk: its logo (an image carried in the profile: the kiosk loads nothing from outside),
 * its colours and its typeface (a system font; there are no web fonts on a kiosk). The colours are refused at load
 * unless every pair the screen draws meets WCAG AA; high-contrast mode replaces them all.
 */
export const Brand = z
  .object({
    logo: z
      .string()
      .max(96_000, 'must be at most 96 000 characters')
      .regex(/^data:image\/(svg\+xml|png|webp);base64,[A-Za-z0-9+/]+={0,2}$/, 'must be a base64 data: URL of an SVG, PNG or WebP image'),
    colours: z
      .object({ primary: Colour, onPrimary: Colour, background: Colour, surface: Colour, text: Colour })
      .strict()
      .superRefine((colours, context) => {
        const all = { ...KIOSK_NEUTRALS, ...colours };
        for (const [foreground, background] of pairs) {
          const ratio = contrastRatio(all[foreground], all[background]);
          if (ratio < AA_TEXT) {
            context.addIssue({
              code: 'custom',
              message: `${foreground} ${all[foreground]} on ${background} ${all[background]} has a contrast of ${ratio.toFixed(2)}:1, below WCAG AA's ${AA_TEXT}:1`,
            });
          }
        }
      }),
    /** CSS family names, most wanted first, e.g. "Noto Serif CJK JP"; the kiosk's own fonts follow as fallbacks. */
    typeface: z
      .array(z.string().regex(/^[A-Za-z0-9 -]{1,60}$/, 'must be a font family name (letters, digits, spaces, hyphens)'))
      .min(1)
      .max(4),
  })
  .strict();
export type Brand = z.infer<typeof Brand>;
