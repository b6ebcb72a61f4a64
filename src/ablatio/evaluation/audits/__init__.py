"""Post-mortem audits (norm decoding, token identity); the public names live in ablatio.audit."""
