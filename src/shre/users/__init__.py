"""User accounts: who can sign in to shre, and with which role."""
