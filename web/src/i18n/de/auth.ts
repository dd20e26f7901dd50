import type { auth as en } from "../en/auth";
import type { Shape } from "../shape";

export const auth: Shape<typeof en> = {
  signInTitle: "Bei shre anmelden",
  signInSubtitle: "Personalakten und Dokumente für Ihr HR-Team",
  email: "E-Mail",
  password: "Passwort",
  signIn: "Anmelden",
  showCharacters: "Eingegebene Zeichen zeigen oder verbergen",
  signingIn: "Anmeldung läuft…",
  signOut: "Abmelden",
  badCredentials: "E-Mail oder Passwort stimmen nicht.",
  sessionEnded: "Ihre Sitzung ist beendet",
  sessionEndedText:
    "Zu Ihrer Sicherheit wurden Sie abgemeldet. Melden Sie sich erneut an, um dort weiterzumachen, wo Sie waren.",
  signInAgain: "Erneut anmelden",
  offline: "Sie sind offline",
  offlineText: "shre braucht eine Verbindung, um Ihre Sitzung fortzusetzen. Sobald Sie wieder online sind, geht es von selbst weiter.",
  signedOut: "Sie sind abgemeldet.",
  account: "Konto",
  role: {
    admin: "Administration",
    hr: "Personalabteilung",
    manager: "Führungskraft",
    employee: "Mitarbeitende",
  },
};
