// One i18n layer for every text (UI.md): English complete, German second. The language
// follows the browser's; nothing is stored.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";

import { de } from "./de";
import { en } from "./en";

export const languages = ["en", "de"] as const;

function browserLanguage(): string {
  const preferred = typeof navigator === "undefined" ? [] : navigator.languages;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (base !== undefined && (languages as readonly string[]).includes(base)) return base;
  }
  return "en";
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, de: { translation: de } },
  lng: browserLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
});

document.documentElement.lang = i18n.language;
i18n.on("languageChanged", (lng) => {
  document.documentElement.lang = lng;
});

export default i18n;
