"""Answer sources (numeric rules, retrieval, follow-ups, handoff) and the FAQBot that runs them."""
