"""Load, decode, clean and describe input files before they are chunked and indexed."""
