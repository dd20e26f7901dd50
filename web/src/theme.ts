import { setNonce } from "get-nonce";
import { createTheme, type MantineColorSchemeManager, type MantineColorScheme } from "@mantine/core";

// The library's default theme: one accent colour (blue).
export const theme = createTheme({});

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
