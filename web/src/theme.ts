import { setNonce } from "get-nonce";
import {
  createTheme,
  darken,
  type CSSVariablesResolver,
  type MantineColorScheme,
  type MantineColorSchemeManager,
} from "@mantine/core";

// The library's default theme: one accent colour (blue).
// Its darker shades, so white text on a button and blue text on white both reach 4.5:1.
export const theme = createTheme({ primaryShade: { light: 8, dark: 8 } });

/** Secondary ("dimmed") text and placeholders a shade darker in light mode (lighter in
 * dark) than the library's, for 4.5:1 contrast (WCAG AA; axe checks it in the tests). */
export const contrastVariables: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": t.colors.gray[7],
    "--mantine-color-placeholder": t.colors.gray[7],
    // Text of "light" badges and buttons (status badges) on their pale background: the
    // darkest shade, darkened further (green and yellow reach 4.5:1 only so).
    ...Object.fromEntries(
      Object.entries(t.colors).map(([name, shades]) => [
        `--mantine-color-${name}-light-color`,
        darken(shades[9], 0.3),
      ]),
    ),
  },
  dark: {
    "--mantine-color-dimmed": t.colors.dark[1],
    "--mantine-color-placeholder": t.colors.dark[1],
  },
});

const nonce =
  document.querySelector<HTMLMetaElement>('meta[name="shre-style-nonce"]')?.content ?? "";

// The scroll lock of modals and drawers (react-remove-scroll) writes a style element too.
setNonce(nonce);

/** The nonce the server gave this page for the style elements the library writes (its
 * CSP allows no other inline style). */
export function styleNonce(): string {
  return nonce;
}

/** Light or dark follows the system; nothing is written to web storage. */
export function memoryColorScheme(): MantineColorSchemeManager {
  let value: MantineColorScheme = "auto";
  return {
    get: () => value,
    set: (next) => {
      value = next;
    },
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    clear: () => {
      value = "auto";
    },
  };
}
