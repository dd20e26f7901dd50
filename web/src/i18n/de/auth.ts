import type { auth as en } from "../en/auth";
import type { Shape } from "../shape";

// TODO-DE
export const auth: Shape<typeof en> = {
  signInTitle: "Sign in to shre",
  signInSubtitle: "Employee records and documents for your HR team",
  email: "Email",
  password: "Password",
  signIn: "Sign in",
  showCharacters: "Show or hide the characters typed",
  signingIn: "Signing in…",
  signOut: "Sign out",
  badCredentials: "The email or password is not right.",
  sessionEnded: "Your session has ended",
  sessionEndedText: "For your security you were signed out. Sign in again to go on where you were.",
  signInAgain: "Sign in again",
  signedOut: "You are signed out.",
  account: "Account",
  role: {
    admin: "Admin",
    hr: "HR",
    manager: "Manager",
    employee: "Employee",
  },
};
