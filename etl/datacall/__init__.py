"""The monthly data call (照会): request forms out (forms), replies in, submission status."""
