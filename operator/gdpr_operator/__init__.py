"""gdpr-operator: keeps AWS accounts in the state GDPR security monitoring requires."""

__version__ = "0.1.0"
