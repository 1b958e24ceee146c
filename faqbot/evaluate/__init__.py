"""Offline evaluation: metrics, leave-one-document-out, reports and plots."""
