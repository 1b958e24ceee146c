"""faqbot: answers questions about FAQ documents, with citations, exact numbers and honest no-answers."""

__version__ = "0.1.0"
