"""Settings, records, the error tree and text utilities: imports nothing else of faqbot."""
