"""labgate web"""
