"""The storage core that every stage uses and none calls back: the SQLite connection and schema,
dates, language detection, privacy (redaction and pseudonyms), packaged resources, secrets
scrubbing, errors, the records that sources yield, and the plugin registry."""
