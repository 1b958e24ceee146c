"""FAQ markdown to Documents and Passages; Passages to Facts (money, dates, quantities)."""
