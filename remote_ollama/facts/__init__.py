"""Custom pyinfra facts: small classes with a command and a pure ``process``."""
