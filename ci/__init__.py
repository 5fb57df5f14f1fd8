"""CI helpers run by .github/workflows/macos.yml (standard library only)."""
