"""Consumer-side assignment strategies: which member owns which partition?"""
