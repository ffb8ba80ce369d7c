"""Official documents: decision letters and their PDFs."""
