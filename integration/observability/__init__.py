"""Operating the app: correlation ids across web, tasks and Dr Green calls, redaction, metrics."""
